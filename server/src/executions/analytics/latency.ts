/**
 * Execution-time percentiles from the rollups' log histogram (migration 007): bin k holds the
 * runs whose ms satisfy 1.02^k <= ms + 1 < 1.02^(k+1). A percentile is reported as its bin's
 * geometric middle, 1.02^(k + 1/2) - 1 ms, rounded: within LATENCY_RELATIVE_ERROR of the exact
 * nearest-rank percentile p, more precisely |reported - p| <= LATENCY_RELATIVE_ERROR * (p + 1) + 0.5.
 */
export const LATENCY_BIN_RATIO = 1.02;
export const LATENCY_RELATIVE_ERROR = Math.sqrt(LATENCY_BIN_RATIO) - 1;

/** The bin's representative execution time, in whole ms. */
export const binValue = (bin: number) =>
  Math.max(0, Math.round(LATENCY_BIN_RATIO ** (bin + 0.5) - 1));

/** Nearest rank (1-based) of the `percent`th percentile of `count` values: ceil(percent·count/100). */
export const nearestRank = (percent: number, count: number) =>
  Math.floor((percent * count + 99) / 100);

export interface Percentiles {
  runs: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Percentiles of a histogram given as bin → runs. */
export function percentiles(histogram: Map<number, number>): Percentiles {
  const bins = [...histogram.entries()].filter(([, runs]) => runs > 0).sort(([a], [b]) => a - b);
  const runs = bins.reduce((sum, [, count]) => sum + count, 0);
  const at = (percent: number) => {
    if (runs === 0) return null;
    const rank = nearestRank(percent, runs);
    let seen = 0;
    for (const [bin, count] of bins) {
      seen += count;
      if (seen >= rank) return binValue(bin);
    }
    return null;
  };
  return { runs, p50: at(50), p95: at(95), p99: at(99) };
}
