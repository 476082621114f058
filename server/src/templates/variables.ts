import { badInput } from '../lib/api-errors.ts';
import { badText, isCleanText } from '../lib/text.ts';

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
/**
 * Names an object already has (`constructor`, `__proto__`, `toString`…): refused, so that a
 * name can never resolve to an inherited property wherever values are looked up by name.
 */
const RESERVED = new Set(Object.getOwnPropertyNames(Object.prototype));
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
export const MAX_VARIABLES = 50;
export const MAX_VALUE_LENGTH = 20_000;
/** Each variable's description and default; with MAX_VARIABLES, what one template can store. */
export const MAX_VARIABLE_DESCRIPTION_LENGTH = 500;
export const MAX_VARIABLE_DEFAULT_LENGTH = 2_000;
/** All of a template's variables together, as stored (JSON): bounds what a listing returns. */
export const MAX_VARIABLES_JSON_LENGTH = 16_384;

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
    if (RESERVED.has(variable.name)) {
      throw badInput(`Variable name "${variable.name}" is reserved`, 'variables');
    }
    if (variable.description.length > MAX_VARIABLE_DESCRIPTION_LENGTH) {
      throw badInput(
        `Variable "${variable.name}": description must be at most ${MAX_VARIABLE_DESCRIPTION_LENGTH} characters`,
        'variables',
      );
    }
    if ((variable.default?.length ?? 0) > MAX_VARIABLE_DEFAULT_LENGTH) {
      throw badInput(
        `Variable "${variable.name}": default must be at most ${MAX_VARIABLE_DEFAULT_LENGTH} characters`,
        'variables',
      );
    }
    if (names.has(variable.name)) {
      throw badInput(`Variable "${variable.name}" is declared twice`, 'variables');
    }
    names.add(variable.name);
  }
  if (JSON.stringify(declared).length > MAX_VARIABLES_JSON_LENGTH) {
    throw badInput(
      `A template's variables take at most ${MAX_VARIABLES_JSON_LENGTH} characters together`,
      'variables',
    );
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
  // Own properties only: a declared name such as `constructor` (stored before such names were
  // refused) must not read what every object inherits.
  const given = new Map(Object.entries((input ?? {}) as Record<string, unknown>));
  const declaredNames = new Set(declared.map((variable) => variable.name));
  const unknown = [...given.keys()].filter((name) => !declaredNames.has(name));
  if (unknown.length > 0) {
    const listed = unknown.slice(0, 5).map((name) => name.slice(0, 64));
    throw badInput(`Unknown variables: ${listed.join(', ')}`, 'variables');
  }
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const variable of declared) {
    const value = given.get(variable.name);
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
    if (!isCleanText(text)) throw badText('variables');
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
