export interface ModelRequest {
  model: string;
  maxTokens: number;
  prompt: string;
  /** Aborts the request (the caller stopped the run): resolves `cancelled`, tokens so far. */
  signal?: AbortSignal;
  /** Called with each piece of text as the model writes it, in order; they join to `text`. */
  onText?: (delta: string) => void;
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
      /** True when `signal` aborted the request; `error` is then "cancelled". */
      cancelled?: boolean;
    };

export interface ModelClient {
  readonly description: string;
  // Resolves with ok: false for API, network and stream failures and for an abort by `signal`.
  run(request: ModelRequest): Promise<ModelResult>;
}
