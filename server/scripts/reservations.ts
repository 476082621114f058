// `npm run reservations`: the payment reservations an operator may have to decide (README,
// "Failure behaviour"). With no argument, lists the open ones and what the chain says (with
// X402_RPC_URL); `settled <id> <transaction>` records a settlement the operator found (the run's
// row becomes a success with its amount); `unused <id>` records that it was never charged.
// PGlite: stop the server first (one process at a time opens its data directory).
import { openDatabase } from '../src/db/database.ts';
import { readEnv } from '../src/env.ts';
import { createChainReader } from '../src/payments/chain-reader.ts';
import { applyDecision, decide, openSettlements } from '../src/payments/reconcile.ts';

const env = readEnv();
const [command, id, transaction] = process.argv.slice(2);
const db = await openDatabase(
  env.databaseUrl ? { databaseUrl: env.databaseUrl } : { dataDir: `${env.dataDir}/pglite` },
);
try {
  const open = await openSettlements(db, 0);
  if (!command) {
    const chain = env.rpcUrl ? createChainReader(env.rpcUrl) : null;
    if (open.length === 0) console.log('no open settlements: the ledger is complete');
    for (const settlement of open) {
      const decision = await decide(settlement, chain).catch((error: Error) => ({
        kind: 'undecided',
        reason: `chain: ${error.message}`,
      }));
      console.log(
        [
          settlement.id,
          settlement.state,
          `run ${settlement.runId} (${settlement.runStatus ?? 'no row'})`,
          `payer ${settlement.payer} nonce ${settlement.nonce}`,
          `${settlement.amount} atomic units on ${settlement.network}`,
          `since ${settlement.updatedAt.toISOString()}`,
          `${decision.kind}${'reason' in decision ? `: ${decision.reason}` : ''}`,
        ].join('  '),
      );
    }
  } else {
    const settlement = open.find((candidate) => candidate.id === id);
    if (!settlement) throw new Error(`no open settlement ${id}: run with no argument to list them`);
    if (command === 'settled' && transaction && settlement.signature) {
      await applyDecision(db, settlement, { kind: 'settled', transaction });
    } else if (command === 'unused') {
      await applyDecision(db, settlement, { kind: 'unused', reason: 'resolved by an operator' });
    } else {
      throw new Error('usage: npm run reservations [-- settled <id> <transaction> | unused <id>]');
    }
    console.log(`reservation ${id}: ${command}`);
  }
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  await db.close();
}
