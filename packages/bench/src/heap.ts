/**
 * Heap: 100,000 calls through `createRouter` with an in-memory `fetch` (a canned ChatCompletion),
 * `heapUsed` sampled after a full `global.gc()` every 10,000 calls. A router that keeps nothing per
 * call stays flat; a leak shows as a slope. Needs `node --expose-gc` (the bench script passes it).
 */
import { createRouter } from '@tiered/sdk';
import { round } from './measure.js';
import { memoryFetch } from './memory-fetch.js';

export interface HeapResult {
  readonly calls: number;
  readonly gcExposed: boolean;
  /** heapUsed in MB after gc, at 0, 10k, 20k, … calls. */
  readonly samplesMb: number[];
  readonly startMb: number;
  readonly endMb: number;
  readonly maxMb: number;
  /** Least-squares slope over the samples after the first (warm-up), KB per 10,000 calls. */
  readonly slopeKbPer10k: number;
  /** Growth end − first-sample-after-warm-up, MB. */
  readonly growthMb: number;
  readonly flat: boolean;
  readonly seconds: number;
}

export async function heapBench(calls = 100_000, every = 10_000): Promise<HeapResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const sample = () => {
    gc?.();
    gc?.();
    return process.memoryUsage().heapUsed / 2 ** 20;
  };
  const router = createRouter({
    probes: false,
    fetch: memoryFetch(60),
    endpoints: [
      {
        id: 'edge-1',
        tier: 'edge',
        baseURL: 'http://127.0.0.1:9001/v1',
        model: 'small',
        contextWindow: 8192,
        maxConcurrency: 8,
        price: { inputPerMTok: 0.05, outputPerMTok: 0.1 },
      },
      {
        id: 'edge-2',
        tier: 'edge',
        baseURL: 'http://127.0.0.1:9002/v1',
        model: 'small',
        contextWindow: 8192,
        maxConcurrency: 8,
        price: { inputPerMTok: 0.05, outputPerMTok: 0.1 },
      },
      {
        id: 'origin',
        tier: 'origin',
        baseURL: 'http://127.0.0.1:9003/v1',
        model: 'large',
        contextWindow: 128_000,
        price: { inputPerMTok: 2.5, outputPerMTok: 10 },
      },
    ],
  });
  // A listener on every event, as an app with logging would have: payloads must not be retained.
  let events = 0;
  for (const name of ['request:start', 'route:select', 'attempt:start', 'request:end'] as const) {
    router.on(name, () => {
      events++;
    });
  }
  const started = performance.now();
  const samples = [sample()];
  const concurrency = 8;
  for (let done = 0; done < calls; done += every) {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < every) {
          await router.chat.completions.create({
            messages: [{ role: 'user', content: `call ${done + next}: say something short` }],
            max_tokens: 16,
          });
        }
      }),
    );
    samples.push(sample());
  }
  await router.close();
  const seconds = (performance.now() - started) / 1000;
  // Slope after warm-up (the first 10k calls fill JIT caches, sample windows, the undici pool).
  const ys = samples.slice(1);
  const xs = ys.map((_, i) => i);
  const mx = xs.reduce((a, x) => a + x, 0) / xs.length;
  const my = ys.reduce((a, y) => a + y, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  const slopeMbPerSample = den ? num / den : 0;
  const growthMb = (ys[ys.length - 1] as number) - (ys[0] as number);
  if (events === 0) throw new Error('no events seen');
  return {
    calls,
    gcExposed: gc !== undefined,
    samplesMb: samples.map((m) => round(m, 2)),
    startMb: round(samples[0] as number, 2),
    endMb: round(samples[samples.length - 1] as number, 2),
    maxMb: round(Math.max(...samples), 2),
    slopeKbPer10k: round(slopeMbPerSample * 1024, 1),
    growthMb: round(growthMb, 2),
    flat: Math.abs(growthMb) < 3 && Math.abs(slopeMbPerSample * 9) < 3,
    seconds: round(seconds, 1),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await heapBench(), null, 2));
}
