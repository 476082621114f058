import { randomUUID } from 'node:crypto';
import type { FinalState } from '../../src/executions/run-journal.ts';

/** A free run's successful final state, as the run pipeline hands it to ExecutionLog.complete. */
export const successfulRun = (templateId: string, callerId: string): FinalState => ({
  run: { id: randomUUID(), templateId, callerId, payerAddress: null, network: null },
  end: {
    status: 'success',
    errorMessage: null,
    inputTokens: 12,
    outputTokens: 34,
    amountPaid: '0',
    paymentSignature: null,
    paymentTransaction: null,
    payerAddress: null,
    network: null,
    executionTimeMs: 56,
  },
  completedAt: new Date(),
  reservation: null,
});
