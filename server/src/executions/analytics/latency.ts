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

/** Bins enough for any execution time (an INTEGER of ms: under 2^31). */
export const LATENCY_BINS = Math.ceil(Math.log(2 ** 31) / Math.log(LATENCY_BIN_RATIO)) + 1;

/** Runs per bin, dense (bin k at index k): added with signs, piece by piece. */
export type Histogram = Float64Array;
export const emptyHistogram = (): Histogram => new Float64Array(LATENCY_BINS);

/** `into` += sign · `histogram`. */
export function addHistogram(into: Histogram, histogram: Histogram, sign = 1) {
  for (let bin = 0; bin < LATENCY_BINS; bin++) {
    const runs = histogram[bin] as number;
    if (runs !== 0) into[bin] = (into[bin] as number) + sign * runs;
  }
}

export function percentiles(histogram: Histogram): Percentiles {
  let runs = 0;
  for (const count of histogram) if (count > 0) runs += count;
  const at = (percent: number) => {
    if (runs === 0) return null;
    const rank = nearestRank(percent, runs);
    let seen = 0;
    for (let bin = 0; bin < LATENCY_BINS; bin++) {
      const count = histogram[bin] as number;
      if (count <= 0) continue;
      seen += count;
      if (seen >= rank) return binValue(bin);
    }
    return null;
  };
  return { runs, p50: at(50), p95: at(95), p99: at(99) };
}
