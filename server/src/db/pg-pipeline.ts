/**
 * Several parameterised statements on one pooled pg connection in ONE round trip: the extended
 * protocol, pipelined — for each statement Parse (only the first time this connection sees its
 * text: named prepared statements, cached per connection), Bind, Describe, Execute; then one
 * Sync. Everything before Sync is one implicit transaction: it all commits, or an error skips the
 * rest and rolls it back (set_config(…, true) lasts exactly until Sync). node-postgres runs it as a
 * "Submittable" (as pg-cursor does): it writes the messages itself and receives the replies.
 */
import pg from 'pg';
import type { SqlText } from './sql.ts';

type Rows = Record<string, unknown>[];
/** What the pipeline uses of pg's Connection (its typings only describe the simple messages). */
interface Connection extends NodeJS.EventEmitter {
  stream: { cork(): void; uncork(): void };
  parse(message: { name: string; text: string; types: number[] }): void;
  bind(message: { statement: string; values: readonly (string | null)[] }): void;
  describe(message: { type: 'P' | 'S'; name: string }): void;
  execute(message: { portal: string; rows: number }): void;
  close(message: { type: 'P' | 'S'; name: string }): void;
  sync(): void;
}

/** pg's Result as pg's own Query uses it: fields from a RowDescription, rows parsed by them. */
interface ParsingResult {
  rows: Rows;
  addFields(fields: unknown[]): void;
  parseRow(values: unknown[]): Rows[number];
}
const Result = pg.Result as unknown as new (rowMode: undefined, types: unknown) => ParsingResult;

/** Prepared statements kept per connection; the least recently used beyond this are closed. */
export const STATEMENT_CACHE_SIZE = 500;

/** One connection's prepared statements: text → name, least recently used first. */
class StatementCache {
  readonly names = new Map<string, string>();
  /** Evicted or invalidated statements, closed at the start of the connection's next pipeline. */
  toClose: string[] = [];
  private next = 0;

  newName = () => `pm_${++this.next}`;

  /** The statement's name if prepared, marking it recently used. */
  use(text: string) {
    const name = this.names.get(text);
    if (name !== undefined) {
      this.names.delete(text);
      this.names.set(text, name);
    }
    return name;
  }

  prepared(text: string, name: string) {
    this.names.set(text, name);
    for (const [oldest, oldName] of this.names) {
      if (this.names.size <= STATEMENT_CACHE_SIZE) break;
      this.names.delete(oldest);
      this.toClose.push(oldName);
    }
  }

  forgetAll() {
    this.toClose.push(...this.names.values());
    this.names.clear();
  }
}

const caches = new WeakMap<object, StatementCache>();

/** The Submittable: one pipeline's messages out, its replies in (client.ts calls the handlers). */
class Pipeline {
  readonly done: Promise<Rows[]>;
  private resolve!: (rows: Rows[]) => void;
  private reject!: (error: Error) => void;
  private readonly results: Rows[] = [];
  private result: ParsingResult | null = null;
  /** Statements parsed in this pipeline whose ParseComplete has not come yet, in order. */
  private readonly parsing: { text: string; name: string }[] = [];
  private connection: Connection | null = null;
  private cache: StatementCache | null = null;

  constructor(
    readonly statements: readonly SqlText[],
    private readonly types: unknown,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: Connection) {
    const cache = caches.get(connection) ?? new StatementCache();
    caches.set(connection, cache);
    this.connection = connection;
    this.cache = cache;
    connection.on('parseComplete', this.onParseComplete);
    const parsedHere = new Map<string, string>();
    connection.stream.cork();
    for (const name of cache.toClose.splice(0)) connection.close({ type: 'S', name });
    for (const statement of this.statements) {
      const text = statement.text;
      let name = cache.use(text) ?? parsedHere.get(text);
      if (name === undefined) {
        name = cache.newName();
        parsedHere.set(text, name);
        this.parsing.push({ text, name });
        connection.parse({ name, text, types: [] });
      }
      connection.bind({ statement: name, values: statement.values });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ portal: '', rows: 0 });
    }
    connection.sync();
    connection.stream.uncork();
  }

  private onParseComplete = () => {
    const parsed = this.parsing.shift();
    if (parsed) this.cache?.prepared(parsed.text, parsed.name);
  };

  private finish() {
    this.connection?.removeListener('parseComplete', this.onParseComplete);
  }

  handleRowDescription(message: { fields: unknown[] }) {
    this.result = new Result(undefined, this.types);
    this.result.addFields(message.fields);
  }

  handleDataRow(message: { fields: unknown[] }) {
    const result = this.result as ParsingResult;
    result.rows.push(result.parseRow(message.fields));
  }

  handleCommandComplete() {
    this.results.push(this.result?.rows ?? []);
    this.result = null;
  }

  handleEmptyQuery() {
    this.results.push([]);
  }

  handleReadyForQuery() {
    this.finish();
    this.resolve(this.results);
  }

  /** A server error (the rest up to Sync skipped; its ReadyForQuery comes before any next query) or a lost connection. */
  handleError(error: Error) {
    // Statements whose Parse had no ParseComplete are not prepared: never counted as such.
    this.parsing.length = 0;
    this.finish();
    this.reject(error);
  }

  handlePortalSuspended() {}
  handleCopyInResponse() {}
  handleCopyData() {}
}

// Only the migration case: a statement missing on the server (26000) would be this cache's bug,
// and must show, not be retried away.
const isInvalidatedStatement = (error: unknown) =>
  error instanceof pg.DatabaseError &&
  error.code === '0A000' &&
  /cached plan must not change result type/.test(error.message);

/** A server error that leaves the connection usable (not FATAL, not a lost socket). */
const connectionSurvives = (error: unknown) =>
  error instanceof pg.DatabaseError && error.severity !== 'FATAL' && error.severity !== 'PANIC';

function runOn(client: pg.PoolClient, statements: readonly SqlText[]) {
  // The client's type parsers, as pool.query would use (it has getTypeParser).
  const pipeline = new Pipeline(statements, client);
  client.query(pipeline as unknown as pg.Submittable);
  return pipeline.done;
}

/**
 * Runs `statements` in one round trip and one implicit transaction on a connection of `pool`;
 * returns each statement's rows, parsed by the client's type parsers (as pool.query would). A
 * statement a migration invalidated (`cached plan must not change result type`) makes the whole
 * pipeline roll back: it is re-prepared and the pipeline run again, once.
 */
export async function runPipelined(pool: pg.Pool, statements: readonly SqlText[]) {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on('error', onError);
  let failure: unknown;
  try {
    try {
      return await runOn(client, statements);
    } catch (error) {
      if (!isInvalidatedStatement(error)) throw error;
      caches.get((client as unknown as { connection: object }).connection)?.forgetAll();
      return await runOn(client, statements);
    }
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    client.removeListener('error', onError);
    const broken =
      lost ?? (failure === undefined || connectionSurvives(failure) ? undefined : failure);
    client.release(broken as Error | undefined);
  }
}
