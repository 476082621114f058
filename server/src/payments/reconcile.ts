import { formatUnits } from 'viem';
import type { Database } from '../db/database.ts';
import { BACKEND_ROLE } from '../db/roles.ts';
import { sql } from '../db/sql.ts';
import type { ChainReader } from './chain-reader.ts';
import { USDC_DECIMALS } from './requirements.ts';

/** A reservation sent for settlement whose outcome the ledger does not know. */
export interface OpenSettlement {
  id: string;
  state: 'settling' | 'settle_unknown';
  network: string;
  asset: string;
  payer: string;
  nonce: string;
  /** Atomic units. */
  amount: string;
  signature: string | null;
  validBefore: Date | null;
  runId: string;
  runStatus: string | null;
  updatedAt: Date;
}

export type Decision =
  | { kind: 'settled'; transaction: string }
  | { kind: 'unused'; reason: string }
  | { kind: 'undecided'; reason: string };

export interface ReconcileOptions {
  /** The token contract's own answer; null when no X402_RPC_URL is configured. */
  chain: ChainReader | null;
  /** Only settlements older than this are looked at: a live one has its answer by then. */
  minAgeMs: number;
  /** Told of a run's row changed by reconciliation (live history). */
  published: (event: { id: string; templateId: string }) => void;
  report?: (message: string) => void;
}

const RESERVATIONS = sql`x402_payment_reservations`;
const LOG = sql`x402_prompt_template_usage_logs`;

/** The open settlements old enough to reconcile, whose run is over (not `running`). */
export async function openSettlements(db: Pick<Database, 'runAs'>, minAgeMs: number) {
  const cutoff = new Date(Date.now() - minAgeMs);
  const [rows = []] = await db.runAs(BACKEND_ROLE, null, [
    sql`SELECT r.id, r.state, r.network, r.asset, r.payer, r.nonce, r.amount::text AS amount, r.signature, r.valid_before, r.usage_log_id, r.updated_at, l.status AS run_status FROM ${RESERVATIONS} r LEFT JOIN ${LOG} l ON l.id = r.usage_log_id WHERE r.state IN ('settling', 'settle_unknown') AND r.updated_at < ${cutoff} AND l.status IS DISTINCT FROM 'running' ORDER BY r.updated_at`,
  ]);
  return rows.map(
    (row): OpenSettlement => ({
      id: row.id as string,
      state: row.state as OpenSettlement['state'],
      network: row.network as string,
      asset: row.asset as string,
      payer: row.payer as string,
      nonce: row.nonce as string,
      amount: row.amount as string,
      signature: (row.signature as string | null) ?? null,
      validBefore: row.valid_before ? new Date(row.valid_before as string) : null,
      runId: row.usage_log_id as string,
      runStatus: (row.run_status as string | null) ?? null,
      updatedAt: new Date(row.updated_at as string),
    }),
  );
}

/** What the chain says about one open settlement. */
export async function decide(open: OpenSettlement, chain: ChainReader | null): Promise<Decision> {
  if (!chain || (await chain.network()) !== open.network) {
    return { kind: 'undecided', reason: `no X402_RPC_URL for ${open.network}` };
  }
  const state = await chain.authorizationState(open.asset, open.payer, open.nonce);
  if (state.used) {
    if (!state.transaction)
      return { kind: 'undecided', reason: 'used on chain, transaction not found' };
    if (!open.signature)
      return { kind: 'undecided', reason: 'used on chain, signature not on record' };
    return { kind: 'settled', transaction: state.transaction };
  }
  if (open.validBefore && open.validBefore.getTime() < Date.now()) {
    return { kind: 'unused', reason: 'the authorization expired unused (reconciled on chain)' };
  }
  return { kind: 'undecided', reason: 'not used on chain yet, still valid' };
}

/**
 * Writes a decision: a settled payment completes its run's row as a success with its amount,
 * signature, network and transaction, in the same transaction as the reservation; an expired,
 * unused one is `settle_failed` (the payer was never charged, the run stays failed and free).
 */
export async function applyDecision(
  db: Pick<Database, 'runAs'>,
  open: OpenSettlement,
  decision: Exclude<Decision, { kind: 'undecided' }>,
) {
  const id = sql.uuid(open.id);
  const isOpen = sql`id = ${id} AND state IN ('settling', 'settle_unknown')`;
  if (decision.kind === 'unused') {
    await db.runAs(BACKEND_ROLE, null, [
      sql`UPDATE ${RESERVATIONS} SET state = 'settle_failed', error = ${decision.reason}, updated_at = now() WHERE ${isOpen}`,
    ]);
    return [];
  }
  const amount = formatUnits(BigInt(open.amount), USDC_DECIMALS);
  const [, rows = []] = await db.runAs(BACKEND_ROLE, null, [
    sql`UPDATE ${RESERVATIONS} SET state = 'settled', settlement_transaction = ${decision.transaction}, error = NULL, updated_at = now() WHERE ${isOpen}`,
    sql`UPDATE ${LOG} SET status = 'success', error_message = NULL, amount_paid = ${sql.decimal(amount)}, payment_signature = ${open.signature}, payment_transaction = ${decision.transaction}, network = ${open.network}, payer_address = coalesce(payer_address, ${open.payer}), completed_at = coalesce(completed_at, now()) WHERE id = ${sql.uuid(open.runId)} AND status <> 'success' RETURNING id, template_id`,
  ]);
  return rows.map((row) => ({ id: row.id as string, templateId: row.template_id as string }));
}

/** One pass: decides what it can, lists for an operator what it cannot (once per reservation). */
export function createReconciler(db: Pick<Database, 'runAs'>, options: ReconcileOptions) {
  const report = options.report ?? ((message) => console.warn(`[payments] ${message}`));
  const listed = new Set<string>();
  return async function reconcile() {
    const counts = { settled: 0, unused: 0, undecided: 0 };
    for (const open of await openSettlements(db, options.minAgeMs)) {
      const decision = await decide(open, options.chain);
      counts[decision.kind]++;
      if (decision.kind === 'undecided') {
        if (!listed.has(open.id)) {
          report(
            `UNRECONCILED payment reservation ${open.id} (${open.state}, run ${open.runId}, payer ${open.payer}, nonce ${open.nonce}, ${open.amount} atomic units on ${open.network}): ${decision.reason}. Resolve with: npm run reservations -- settled ${open.id} <transaction> | npm run reservations -- unused ${open.id}`,
          );
          listed.add(open.id);
        }
        continue;
      }
      for (const event of await applyDecision(db, open, decision)) options.published(event);
      report(`reconciled payment reservation ${open.id}: ${decision.kind}`);
    }
    return counts;
  };
}
