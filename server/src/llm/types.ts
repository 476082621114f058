export interface ModelRequest {
  model: string;
  maxTokens: number;
  prompt: string;
  signal?: AbortSignal;
}

export type ModelResult =
  | { ok: true; text: string; inputTokens: number; outputTokens: number; stopReason: string | null }
  | {
      ok: false;
      error: string;
      // null when the API never reported usage (e.g. the request failed before the stream began).
      inputTokens: number | null;
      outputTokens: number | null;
      partialText: string;
    };

export interface ModelClient {
  readonly description: string;
  // Resolves with ok: false for API, network and stream failures; rejects only when `signal` aborts.
  run(request: ModelRequest): Promise<ModelResult>;
}
