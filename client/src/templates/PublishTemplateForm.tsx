import { useMutation } from '@apollo/client/react';
import { type FormEvent, useId, useState } from 'react';
import { navigate, paths } from '../app/router.tsx';
import { graphql } from '../gql/index.ts';
import { describeError, errorCode, errorExtensions } from '../lib/errors.ts';
import { isZeroAmount } from '../lib/format.ts';

export const PublishTemplateMutation = graphql(`
  mutation PublishTemplate($input: CreateTemplateInput!) {
    createTemplate(input: $input) {
      template {
        id
      }
    }
  }
`);

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The distinct {{placeholders}} of a prompt, in order of first use (as the server reads them). */
export const placeholders = (prompt: string) => [
  ...new Set(Array.from(prompt.matchAll(PLACEHOLDER), (match) => match[1] as string)),
];

interface VariableSettings {
  description: string;
  required: boolean;
}

/** Publishes a template owned by the viewer; its variables are the prompt's placeholders. */
export function PublishTemplateForm({ onPublished }: { onPublished?: () => void }) {
  const id = useId();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [prompt, setPrompt] = useState('');
  const [price, setPrice] = useState('0');
  const [payTo, setPayTo] = useState('');
  const [settings, setSettings] = useState<Record<string, VariableSettings>>({});
  const [publish, { loading, error }] = useMutation(PublishTemplateMutation, {
    refetchQueries: ['TemplatesPageQuery'],
  });

  const names = placeholders(prompt);
  const priced = !isZeroAmount(price || '0');
  const field = (suffix: string) => `${id}-${suffix}`;
  const errorField = error ? (errorExtensions(error).field as string | undefined) : undefined;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    try {
      const result = await publish({
        variables: {
          input: {
            name,
            description,
            prompt,
            priceUsdc: price.trim() || '0',
            payTo: priced ? payTo.trim() : undefined,
            variables: names.map((variable) => ({
              name: variable,
              description: settings[variable]?.description ?? '',
              required: settings[variable]?.required ?? true,
            })),
          },
        },
      });
      const templateId = result.data?.createTemplate.template.id;
      if (templateId) {
        onPublished?.();
        navigate(paths.template(templateId));
      }
    } catch {
      // Shown from `error` below.
    }
  }

  const updateVariable = (variable: string, change: Partial<VariableSettings>) =>
    setSettings((current) => ({
      ...current,
      [variable]: { description: '', required: true, ...current[variable], ...change },
    }));

  return (
    <form className="form publish-form" onSubmit={onSubmit} aria-busy={loading}>
      <div className="field">
        <label htmlFor={field('name')}>Name</label>
        <input
          id={field('name')}
          value={name}
          required
          maxLength={200}
          aria-invalid={errorField === 'name' || undefined}
          onChange={(event) => setName(event.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={field('description')}>
          Description <span className="muted">(optional)</span>
        </label>
        <textarea
          id={field('description')}
          value={description}
          rows={2}
          maxLength={5000}
          onChange={(event) => setDescription(event.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={field('prompt')}>Prompt</label>
        <span className="field__hint" id={field('prompt-hint')}>
          Use <code>{'{{name}}'}</code> for what the caller fills in.
        </span>
        <textarea
          id={field('prompt')}
          value={prompt}
          rows={4}
          required
          aria-describedby={field('prompt-hint')}
          aria-invalid={errorField === 'prompt' || errorField === 'variables' || undefined}
          onChange={(event) => setPrompt(event.target.value)}
        />
      </div>
      {names.length > 0 && (
        <fieldset className="fieldset">
          <legend>Variables</legend>
          {names.map((variable) => (
            <div className="variable-settings" key={variable}>
              <code>{variable}</code>
              <input
                aria-label={`Description of ${variable}`}
                placeholder="What to enter"
                value={settings[variable]?.description ?? ''}
                onChange={(event) => updateVariable(variable, { description: event.target.value })}
              />
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={settings[variable]?.required ?? true}
                  onChange={(event) => updateVariable(variable, { required: event.target.checked })}
                />
                Required
              </label>
            </div>
          ))}
        </fieldset>
      )}
      <div className="field-row">
        <div className="field">
          <label htmlFor={field('price')}>Price per run (USDC)</label>
          <input
            id={field('price')}
            value={price}
            inputMode="decimal"
            aria-invalid={errorField === 'priceUsdc' || undefined}
            onChange={(event) => setPrice(event.target.value)}
          />
        </div>
        {priced && (
          <div className="field">
            <label htmlFor={field('pay-to')}>Pay to (EVM address)</label>
            <input
              id={field('pay-to')}
              value={payTo}
              placeholder="0x…"
              required
              aria-invalid={errorField === 'payTo' || undefined}
              onChange={(event) => setPayTo(event.target.value)}
            />
          </div>
        )}
      </div>
      {error && (
        <p className="notice notice--error" role="alert">
          {errorCode(error) === 'BAD_USER_INPUT' ? '' : 'Could not publish: '}
          {describeError(error)}
        </p>
      )}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={loading}>
          {loading ? 'Publishing…' : 'Publish'}
        </button>
      </div>
    </form>
  );
}
