import * as hdr from 'hdr-histogram-js';

/** Highest latency the histograms track, in microseconds (a minute). */
const HIGHEST_US = 60_000_000;

/** Delivery latency summary in milliseconds. */
export interface LatencyMs {
  p50: number;
  p99: number;
  max: number;
  /** How many deliveries were measured. */
  count: number;
}

/** A new latency histogram in microseconds with 3 significant digits. */
export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Serializes a histogram for IPC (HdrHistogram's compressed base64 format). */
export function encodeHistogram(h: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Sums encoded histograms into one. */
export function mergeHistograms(encoded: readonly string[]): hdr.Histogram {
  const total = newLatencyHistogram();
  for (const e of encoded) {
    const h = hdr.decodeFromCompressedBase64(e);
    total.add(h);
    h.destroy();
  }
  return total;
}

/** p50/p99/max of a microsecond histogram, in milliseconds rounded to µs. */
export function latencySummary(h: hdr.Histogram): LatencyMs {
  const ms = (us: number) => Math.round(us) / 1000;
  if (h.totalCount === 0) return { p50: 0, p99: 0, max: 0, count: 0 };
  return { p50: ms(h.getValueAtPercentile(50)), p99: ms(h.getValueAtPercentile(99)), max: ms(h.maxValue), count: h.totalCount };
}
