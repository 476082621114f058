import type { FragmentType } from '@apollo/client';
import { useFragment } from '@apollo/client/react';
import { type FormEvent, useId, useState } from 'react';
import { graphql } from '../gql/index.ts';
import { RunOutcome } from './RunOutcome.tsx';
import { useCheckout } from './useCheckout.ts';
import { VariableField } from './VariableField.tsx';

export const RunTemplateFormFragment = graphql(`
  fragment RunTemplateForm_template on Template {
    id
    priceUsdc
    variables {
      name
      description
      required
      default
    }
  }
`);

type Values = Record<string, string>;

/** Required variables left blank, by name: checked here so an incomplete run is never sent. */
export function missingRequired(
  variables: ReadonlyArray<{ name: string; required: boolean }>,
  values: Values,
): string[] {
  return variables
    .filter((variable) => variable.required && !values[variable.name]?.trim())
    .map((variable) => variable.name);
}

/** The run form, generated from the template's declared variables, and the run's outcome. */
export function RunTemplateForm({
  template,
}: {
  template: FragmentType<typeof RunTemplateFormFragment>;
}) {
  const { data, complete } = useFragment({ fragment: RunTemplateFormFragment, from: template });
  const formId = useId();
  const [values, setValues] = useState<Values>({});
  const [invalid, setInvalid] = useState<string[]>([]);
  const { run, checkout, start, pay, stop } = useCheckout();
  const busy = run.phase === 'starting' || run.phase === 'running';

  if (!complete) return null;
  const fieldId = (name: string) => `${formId}-${name}`;

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!complete || busy) return;
    const missing = missingRequired(data.variables, values);
    setInvalid(missing);
    if (missing.length > 0) {
      document.getElementById(fieldId(missing[0] ?? ''))?.focus();
      return;
    }
    // Blank optional variables are left out, so the template's defaults apply.
    const filled = Object.fromEntries(
      Object.entries(values).filter(([, value]) => value.trim() !== ''),
    );
    await start({ templateId: data.id, variables: filled });
  }

  return (
    <section className="run" aria-labelledby={`${formId}-title`}>
      <h2 id={`${formId}-title`}>Run this template</h2>
      <form className="form" noValidate onSubmit={onSubmit} aria-busy={busy}>
        {data.variables.length === 0 && (
          <p className="muted">This template takes no input: just run it.</p>
        )}
        {data.variables.map((variable) => {
          const isInvalid = invalid.includes(variable.name);
          return (
            <VariableField
              key={variable.name}
              id={fieldId(variable.name)}
              variable={variable}
              value={values[variable.name] ?? ''}
              invalid={isInvalid}
              onChange={(value) => {
                setValues((current) => ({ ...current, [variable.name]: value }));
                if (isInvalid && value.trim()) {
                  setInvalid((current) => current.filter((name) => name !== variable.name));
                }
              }}
            />
          );
        })}
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy ? 'Running…' : 'Run'}
          </button>
          {data.variables.some((variable) => variable.required) && (
            <span className="muted">
              <span aria-hidden="true">*</span> required
            </span>
          )}
        </div>
      </form>
      <RunOutcome
        run={run}
        priceUsdc={data.priceUsdc}
        templateId={data.id}
        checkout={checkout}
        onPay={pay}
        onStop={() => void stop()}
      />
    </section>
  );
}
