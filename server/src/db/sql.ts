/**
 * Statements for Database.runAs, written with the `sql` tag only: its result, SqlText, is what
 * runAs accepts (a plain string does not type-check there). Every value travels as a parameter
 * ($1…$n), never as SQL text: the tag checks each value's kind and gives it its type with a cast
 * where the context would not (`$1::uuid`, `::timestamptz`, `::int`, `::numeric`). Fragments
 * compose: a fragment spliced into another has its parameters renumbered.
 */
import { UUID } from '../lib/uuid.ts';

/** A parameter as it is sent: text, or NULL. */
export type SqlParam = string | null;

const checked: unique symbol = Symbol('SqlText');

/** SQL written by the `sql` tag (or its helpers) only: an object a raw string cannot stand for. */
export interface SqlText {
  /** The statement, its parameters written $1…$n (each with its cast, if any). */
  readonly text: string;
  /** The parameters' values, $1 first. */
  readonly values: readonly SqlParam[];
  /** Text around the parameters (one more than params) and each parameter's cast: for splicing. */
  readonly [checked]: { readonly chunks: readonly string[]; readonly casts: readonly string[] };
}

function sqlText(chunks: string[], values: SqlParam[], casts: string[]): SqlText {
  let text: string | undefined;
  return {
    get text() {
      text ??= chunks.reduce((all, chunk, i) => `${all}$${i}${casts[i - 1]}${chunk}`);
      return text;
    },
    values,
    [checked]: { chunks, casts },
  };
}

const isSqlText = (value: unknown): value is SqlText =>
  typeof value === 'object' && value !== null && checked in value;

/** One parameter, with the cast that gives it its type ('' to take it from the context). */
const param = (value: SqlParam, cast = ''): SqlText => sqlText(['', ''], [value], [cast]);

/** Safe integers, as int4 where they fit (like an integer literal), int8 beyond. */
function integer(value: number): SqlText {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return param(String(value), Math.abs(value) <= 2 ** 31 - 1 ? '::int' : '::bigint');
}

function timestamp(at: Date): SqlText {
  if (Number.isNaN(at.getTime())) throw new Error('not a timestamp');
  return param(at.toISOString(), '::timestamptz');
}

/**
 * A string takes its type from the context, like a quoted literal; where the context gives none
 * (`${value} IS NULL`), the statement casts it (`${value}::text`). NUL characters are dropped:
 * PostgreSQL text cannot hold them.
 */
const text = (value: string) => param(value.replaceAll('\0', ''));

/** What `${…}` in the `sql` tag takes: a fragment, spliced as is, or a value (a parameter). */
export type SqlValue = SqlText | string | number | Date | null;

function fragmentOf(value: SqlValue): SqlText {
  if (isSqlText(value)) return value;
  if (value === null) return param(null);
  if (value instanceof Date) return timestamp(value);
  if (typeof value === 'number') return integer(value);
  if (typeof value === 'string') return text(value);
  throw new Error(`no SQL parameter for ${typeof value}`);
}

/** Joins fragments and the plain text between them (`between` has one more entry than parts). */
function splice(between: readonly string[], parts: readonly SqlText[]): SqlText {
  const chunks = [between[0] ?? ''];
  const values: SqlParam[] = [];
  const casts: string[] = [];
  parts.forEach((part, index) => {
    const inner = part[checked];
    chunks[chunks.length - 1] += inner.chunks[0] ?? '';
    chunks.push(...inner.chunks.slice(1));
    values.push(...part.values);
    casts.push(...inner.casts);
    chunks[chunks.length - 1] += between[index + 1] ?? '';
  });
  return sqlText(chunks, values, casts);
}

/** A statement or fragment: the template's text, each value a parameter, fragments spliced. */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): SqlText {
  return splice(strings, values.map(fragmentOf));
}

/** A `::uuid` parameter, checked to be a UUID. */
sql.uuid = (id: string) => {
  if (!UUID.test(id)) throw new Error(`not a UUID: ${id}`);
  return param(id, '::uuid');
};

/** A `::numeric` parameter from a non-negative decimal string such as a USDC amount ("0.25"). */
sql.decimal = (value: string) => {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`not a decimal: ${value}`);
  return param(value, '::numeric');
};

/** A plain lowercase name (a column, a table), written as is: never a caller's text. */
sql.identifier = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return sqlText([name], [], []);
};

/** The fragments joined by `separator`. */
sql.join = (fragments: readonly SqlText[], separator: SqlText) =>
  splice(
    [],
    fragments.flatMap((fragment, index) => (index === 0 ? [fragment] : [separator, fragment])),
  );

/**
 * A statement whose values travel as transaction settings instead of parameters, for the one
 * statement that takes none: COPY. `settings` sets each value (`SELECT set_config('pm.v1', $1,
 * true), …`, the values as parameters; null when there are none); `text` reads them back
 * (`(SELECT current_setting('pm.v1')::cast)`: a subquery, so it is read once per statement, not
 * once per row in a filter) and is the same text whatever the values,
 * so nothing from a request ever becomes SQL. Run both in one transaction, `settings` first:
 * set_config(…, true) ends with the transaction. NULL has no setting: such a statement is refused.
 */
export function valuesAsSettings(statement: SqlText): { settings: SqlText | null; text: SqlText } {
  const { chunks, casts } = statement[checked];
  const { values } = statement;
  if (values.some((value) => value === null)) throw new Error('NULL cannot travel as a setting');
  const name = (index: number) => `'pm.v${index + 1}'`;
  const text = chunks.reduce(
    (all, chunk, index) =>
      `${all}(SELECT current_setting(${name(index - 1)})${casts[index - 1]})${chunk}`,
  );
  const settings =
    values.length === 0
      ? null
      : splice(
          values
            .map(
              (_value, index) =>
                `${index === 0 ? 'SELECT ' : ', true), '}set_config(${name(index)}, `,
            )
            .concat(', true)'),
          values.map((value) => param(value)),
        );
  return { settings, text: sqlText([text], [], []) };
}
