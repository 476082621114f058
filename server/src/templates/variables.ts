import { badInput } from '../lib/api-errors.ts';

/**
 * A `{{name}}` placeholder a template declares, as stored in templates.variables (a type, not
 * an interface, so that it is assignable to Prisma's JSON input).
 */
export type TemplateVariable = {
  name: string;
  description: string;
  required: boolean;
  /** Used when an optional variable is not given. */
  default: string | null;
};

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
export const MAX_VARIABLES = 50;
export const MAX_VALUE_LENGTH = 20_000;

/** The distinct placeholder names of a prompt, in order of first use. */
export function placeholders(prompt: string): string[] {
  return [...new Set(Array.from(prompt.matchAll(PLACEHOLDER), (match) => match[1] as string))];
}

/** Checks a template's declared variables against its prompt (createTemplate). */
export function checkDeclaredVariables(prompt: string, declared: TemplateVariable[]) {
  if (declared.length > MAX_VARIABLES) {
    throw badInput(`A template declares at most ${MAX_VARIABLES} variables`, 'variables');
  }
  const names = new Set<string>();
  for (const variable of declared) {
    if (!NAME.test(variable.name)) {
      throw badInput(
        `Variable name "${variable.name}" must be a letter or _ followed by letters, digits or _ (at most 64)`,
        'variables',
      );
    }
    if (names.has(variable.name)) {
      throw badInput(`Variable "${variable.name}" is declared twice`, 'variables');
    }
    names.add(variable.name);
  }
  const undeclared = placeholders(prompt).filter((name) => !names.has(name));
  if (undeclared.length > 0) {
    throw badInput(`The prompt uses undeclared variables: ${undeclared.join(', ')}`, 'variables');
  }
}

/**
 * Validates a run's variables against the declaration and renders the prompt in one pass, so a
 * value that itself contains `{{x}}` is never expanded.
 */
export function renderPrompt(prompt: string, declared: TemplateVariable[], input: unknown): string {
  if (
    input !== null &&
    input !== undefined &&
    (typeof input !== 'object' || Array.isArray(input))
  ) {
    throw badInput('variables must be a JSON object of name → value', 'variables');
  }
  const given = (input ?? {}) as Record<string, unknown>;
  const declaredNames = new Set(declared.map((variable) => variable.name));
  const unknown = Object.keys(given).filter((name) => !declaredNames.has(name));
  if (unknown.length > 0) {
    throw badInput(`Unknown variables: ${unknown.join(', ')}`, 'variables');
  }
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const variable of declared) {
    const value = given[variable.name];
    if (value === undefined || value === null || value === '') {
      if (variable.required) missing.push(variable.name);
      else values.set(variable.name, variable.default ?? '');
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw badInput(
        `Variable "${variable.name}" must be a string, number or boolean`,
        'variables',
      );
    }
    const text = String(value);
    if (text.length > MAX_VALUE_LENGTH) {
      throw badInput(
        `Variable "${variable.name}" is longer than ${MAX_VALUE_LENGTH} characters`,
        'variables',
      );
    }
    values.set(variable.name, text);
  }
  if (missing.length > 0) {
    throw badInput(`Missing required variables: ${missing.join(', ')}`, 'variables');
  }
  return prompt.replace(PLACEHOLDER, (_, name: string) => values.get(name) ?? '');
}
