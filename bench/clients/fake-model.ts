import {
  createAnthropicModel,
  type MessagesApiServer,
  startMessagesApiServer,
} from '../../server/src/testing.ts';

/**
 * The fake model: the app's own loopback Messages API (streaming, real SDK on the other side),
 * answering after `latencyMs`. One per bench run; promptmeter reaches it via ANTHROPIC_BASE_URL.
 */
export class FakeModel {
  private constructor(readonly server: MessagesApiServer) {}

  static async start() {
    return new FakeModel(
      await startMessagesApiServer({ defaultBehaviour: { kind: 'text', text: 'ok' } }),
    );
  }

  get url() {
    return this.server.url;
  }

  /** Requests the model has received so far (all runs, all callers). */
  get received() {
    return this.server.requests.length;
  }

  setLatency(ms: number) {
    this.server.setDefault(
      ms > 0
        ? { kind: 'delay', ms, after: { kind: 'text', text: 'ok' } }
        : { kind: 'text', text: 'ok' },
    );
  }

  /** The same SDK call promptmeter makes, straight from the driver: the run's floor. */
  direct() {
    const model = createAnthropicModel({ apiKey: 'bench', baseURL: this.url, maxRetries: 0 });
    return () => model.run({ model: 'claude-bench', maxTokens: 64, prompt: 'Bench run 0' });
  }

  /** A direct SDK stream of `prompt`, each text delta handed to `onText`: the streamed floor. */
  directStream() {
    const model = createAnthropicModel({ apiKey: 'bench', baseURL: this.url, maxRetries: 0 });
    return (prompt: string, onText: (delta: string) => void) =>
      model.run({ model: 'claude-bench', maxTokens: 4096, prompt, onText });
  }

  close() {
    return this.server.close();
  }
}
