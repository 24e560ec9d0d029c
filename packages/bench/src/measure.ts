import { cpus, totalmem } from 'node:os';

/** Small timing helpers shared by the benchmarks. */

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export function summarize(samples: number[]): {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
} {
  const sorted = samples.slice().sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    mean,
  };
}

/** Runs `fn` `iterations` times after a warm-up; returns ns per call (best of `rounds`). */
export function nsPerOp(fn: () => void, iterations: number, rounds = 5): number {
  for (let i = 0; i < Math.min(iterations, 20_000); i++) fn();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    const ns = Number(process.hrtime.bigint() - start) / iterations;
    best = Math.min(best, ns);
  }
  return best;
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function machine(): string {
  return `${process.platform}/${process.arch}, ${cpuInfo()}, Node ${process.version}`;
}

function cpuInfo(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`;
}
