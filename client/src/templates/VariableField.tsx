import type { RunTemplateForm_TemplateFragment } from '../gql/graphql.ts';

type Variable = RunTemplateForm_TemplateFragment['variables'][number];

interface Props {
  id: string;
  variable: Variable;
  value: string;
  invalid: boolean;
  onChange: (value: string) => void;
}

/** One declared variable of the run form: label (required or optional), hint, input, error. */
export function VariableField({ id, variable, value, invalid, onChange }: Props) {
  return (
    <div className="field">
      <label htmlFor={id}>
        {variable.name}
        {variable.required ? (
          <span className="required" aria-hidden="true">
            {' '}
            *
          </span>
        ) : (
          <span className="muted"> (optional)</span>
        )}
      </label>
      {variable.description && (
        <span className="field__hint" id={`${id}-hint`}>
          {variable.description}
        </span>
      )}
      <input
        id={id}
        name={variable.name}
        value={value}
        placeholder={variable.default ?? undefined}
        required={variable.required}
        aria-invalid={invalid || undefined}
        aria-describedby={
          [variable.description && `${id}-hint`, invalid && `${id}-error`]
            .filter(Boolean)
            .join(' ') || undefined
        }
        onChange={(event) => onChange(event.target.value)}
      />
      {invalid && (
        <span className="field__error" id={`${id}-error`}>
          Enter a value for {variable.name}.
        </span>
      )}
    </div>
  );
}
