/**
 * Several parameterised statements on one pooled pg connection in ONE round trip: the extended
 * protocol, pipelined — for each statement Parse and Describe (only the first time this
 * connection sees its text: named prepared statements, cached per connection with their row
 * parsers), Bind, Execute; then one Sync. Everything before Sync is one implicit transaction: it
 * all commits, or an error skips the rest and rolls it back (set_config(…, true) lasts exactly
 * until Sync). node-postgres runs it as a "Submittable" (as pg-cursor does): it writes the
 * messages itself and receives the replies.
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

/**
 * A statement prepared on a connection, with its result's row parser (null: it returns no rows),
 * taken from the Describe sent with its Parse: later runs send only Bind and Execute.
 */
interface Prepared {
  readonly name: string;
  readonly rows: ParsingResult | null;
}

/** One connection's prepared statements by text; each stamped with its last use. */
class StatementCache {
  readonly statements = new Map<string, Prepared & { used: number }>();
  /** Evicted or invalidated statements, closed at the start of the connection's next pipeline. */
  toClose: string[] = [];
  private next = 0;
  private uses = 0;

  newName = () => `pm_${++this.next}`;

  /** The statement if prepared, stamped as just used (a stamp, not a Map reorder: the hot path). */
  use(text: string) {
    const prepared = this.statements.get(text);
    if (prepared !== undefined) prepared.used = ++this.uses;
    return prepared;
  }

  add(text: string, prepared: Prepared) {
    this.statements.set(text, { ...prepared, used: ++this.uses });
    if (this.statements.size <= STATEMENT_CACHE_SIZE) return;
    // Past the bound (rare: the app has a few dozen statement texts): close the least recent.
    let oldest: [string, { name: string; used: number }] | undefined;
    for (const entry of this.statements)
      if (!oldest || entry[1].used < oldest[1].used) oldest = entry;
    if (!oldest) return;
    this.statements.delete(oldest[0]);
    this.toClose.push(oldest[1].name);
  }

  forgetAll() {
    for (const { name } of this.statements.values()) this.toClose.push(name);
    this.statements.clear();
  }
}

const caches = new WeakMap<object, StatementCache>();

/** A statement of this pipeline: prepared already, or parsed and described here. */
interface Slot {
  name: string;
  rows: ParsingResult | null;
}

/** The Submittable: one pipeline's messages out, its replies in (pg's client calls handle*). */
class Pipeline {
  readonly done: Promise<Rows[]>;
  private resolve!: (rows: Rows[]) => void;
  private reject!: (error: Error) => void;
  private readonly results: Rows[] = [];
  private rows: Rows = [];
  /** Each statement's slot, in order; `current` indexes the statement being answered. */
  private slots: Slot[] = [];
  private current = 0;
  /** Statements parsed here, awaiting their description (RowDescription or NoData), in order. */
  private readonly describing: { text: string; slot: Slot; parsed: boolean }[] = [];
  private connection: Connection | null = null;
  private cache: StatementCache | null = null;
  /**
   * What a row's parser or the COPY handler threw. pg calls handle* from its socket's 'data'
   * listener, where a throw would be an uncaught exception (the process ends): kept, the rest of
   * the answer is read, and the pipeline fails at ReadyForQuery with the connection in sync.
   */
  private failure: Error | undefined;

  constructor(
    readonly statements: readonly SqlText[],
    private readonly types: unknown,
    private readonly onCopyData?: CopyDataHandler,
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
    connection.on('noData', this.onNoData);
    const parsedHere = new Map<string, Slot>();
    connection.stream.cork();
    for (const name of cache.toClose.splice(0)) connection.close({ type: 'S', name });
    this.slots = this.statements.map((statement) => {
      const text = statement.text;
      let slot: Slot | undefined = cache.use(text) ?? parsedHere.get(text);
      if (slot === undefined) {
        slot = { name: cache.newName(), rows: null };
        parsedHere.set(text, slot);
        this.describing.push({ text, slot, parsed: false });
        connection.parse({ name: slot.name, text, types: [] });
        connection.describe({ type: 'S', name: slot.name });
      }
      connection.bind({ statement: slot.name, values: statement.values });
      connection.execute({ portal: '', rows: 0 });
      return slot;
    });
    connection.sync();
    connection.stream.uncork();
  }

  private onParseComplete = () => {
    const parsing = this.describing.find((entry) => !entry.parsed);
    if (parsing) parsing.parsed = true;
  };

  /** A described statement is prepared: cached for the connection's later pipelines. */
  private described(rows: ParsingResult | null) {
    const entry = this.describing.shift();
    if (!entry) return;
    entry.slot.rows = rows;
    this.cache?.add(entry.text, { name: entry.slot.name, rows });
  }

  private onNoData = () => this.described(null);

  private finish() {
    this.connection?.removeListener('parseComplete', this.onParseComplete);
    this.connection?.removeListener('noData', this.onNoData);
  }

  /** Only a statement Describe answers with one (portals are not described). */
  handleRowDescription(message: { fields: unknown[] }) {
    const rows = new Result(undefined, this.types);
    rows.addFields(message.fields);
    this.described(rows);
  }

  handleDataRow(message: { fields: unknown[] }) {
    const parser = this.slots[this.current]?.rows;
    if (!parser || this.failure) return;
    try {
      this.rows.push(parser.parseRow(message.fields));
    } catch (error) {
      this.failure = error as Error;
    }
  }

  handleCommandComplete() {
    this.results.push(this.rows);
    this.rows = [];
    this.current++;
  }

  handleEmptyQuery() {
    this.handleCommandComplete();
  }

  handleReadyForQuery() {
    this.finish();
    if (this.failure) this.reject(this.failure);
    else this.resolve(this.results);
  }

  /**
   * A server error (the rest up to Sync skipped; its ReadyForQuery comes before the connection's
   * next query) or a lost connection.
   */
  handleError(error: Error) {
    // A statement parsed but not described is on the server, not in the cache: closed next time.
    for (const entry of this.describing.splice(0)) {
      if (entry.parsed) this.cache?.toClose.push(entry.slot.name);
    }
    this.finish();
    this.reject(error);
  }

  /** A COPY … TO STDOUT's data, passed on as it arrives. */
  handleCopyData(message: { chunk: Buffer }) {
    if (this.failure) return;
    try {
      this.onCopyData?.(message.chunk);
    } catch (error) {
      this.failure = error as Error;
    }
  }

  handlePortalSuspended() {}
  handleCopyInResponse() {}
}

/** The server's ErrorResponse, by shape: the pool may come from another copy of pg (the bench's). */
const serverError = (error: unknown) =>
  error instanceof Error && 'severity' in error && 'code' in error
    ? (error as Error & { severity: string; code: string })
    : null;

// Only the migration case: a statement missing on the server (26000) would be this cache's bug,
// and must show, not be retried away.
const isInvalidatedStatement = (error: unknown) =>
  serverError(error)?.code === '0A000' &&
  /cached plan must not change result type/.test((error as Error).message);

/** A server error that leaves the connection usable (not FATAL, not a lost socket). */
const connectionSurvives = (error: unknown) => {
  const severity = serverError(error)?.severity;
  return severity !== undefined && severity !== 'FATAL' && severity !== 'PANIC';
};

/**
 * Takes a COPY … TO STDOUT's data message by message. The bytes are pg's read buffer, valid only
 * during the call: copy what is kept.
 */
export type CopyDataHandler = (chunk: Uint8Array) => void;

function runOn(
  client: pg.PoolClient,
  statements: readonly SqlText[],
  onCopyData: CopyDataHandler | undefined,
) {
  // The client's type parsers, as pool.query would use (it has getTypeParser).
  const pipeline = new Pipeline(statements, client, onCopyData);
  client.query(pipeline as unknown as pg.Submittable);
  return pipeline.done;
}

/**
 * Runs `statements` in one round trip and one implicit transaction on a connection of `pool`;
 * returns each statement's rows, parsed by the client's type parsers (as pool.query would). A
 * statement a migration invalidated (`cached plan must not change result type`) makes the whole
 * pipeline roll back: it is re-prepared and the pipeline run again, once. A COPY … TO STDOUT
 * among them hands its data to `onCopyData` as it arrives.
 */
export async function runPipelined(
  pool: pg.Pool,
  statements: readonly SqlText[],
  onCopyData?: CopyDataHandler,
) {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on('error', onError);
  let failure: unknown;
  try {
    try {
      return await runOn(client, statements, onCopyData);
    } catch (error) {
      if (!isInvalidatedStatement(error)) throw error;
      caches.get((client as unknown as { connection: object }).connection)?.forgetAll();
      return await runOn(client, statements, onCopyData);
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
