import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { edgeProfile, type Lab, originProfile, startLab } from './two-tier.js';

/**
 * 1,000 calls at once, queued behind endpoints the router limits to 8 calls each: every call is
 * answered, none starves past its timeout, no endpoint ever sees more than 8, the heap stays
 * bounded, and interactive calls issued last overtake the background ones in the queues.
 */

const CALLS = 1_000;
const INTERACTIVE = 100;
const SLOTS = 8;
const TIMEOUT_MS = 30_000;

let lab: Lab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

const gc: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();
const heapMb = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 1e6;
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('load', () => {
  it(`${CALLS} concurrent calls behind maxConcurrency ${SLOTS}: all answered, none over ${SLOTS} in flight, priorities respected`, async () => {
    lab = await startLab(
      [
        edgeProfile('edge-1', { ttftMs: 15 }),
        edgeProfile('edge-2', { ttftMs: 15 }),
        originProfile({ ttftMs: 15 }),
      ],
      { timeouts: { firstTokenFloorMs: TIMEOUT_MS, stallMs: TIMEOUT_MS, totalMs: TIMEOUT_MS } },
      () => ({ maxConcurrency: SLOTS }),
    );
    const l = lab;
    const heapBefore = heapMb();
    const started = performance.now();

    const calls = Array.from({ length: CALLS }, (_, i) => {
      // The interactive calls are issued last, behind every background one.
      const priority =
        i >= CALLS - INTERACTIVE ? ('interactive' as const) : ('background' as const);
      const t0 = performance.now();
      return l.router.chat.completions
        .create(
          { messages: [{ role: 'user', content: `load ${i}` }], max_tokens: 4 },
          { route: { priority } },
        )
        .then((c) => ({
          priority,
          ms: performance.now() - t0,
          content: c.choices[0]?.message.content,
        }));
    });
    const results = await Promise.all(calls);
    const seconds = (performance.now() - started) / 1000;
    const heapAfter = heapMb();

    expect(results).toHaveLength(CALLS);
    for (const r of results) expect(r.content).toMatch(/^(edge-\d|origin):/);
    const slowest = Math.max(...results.map((r) => r.ms));
    expect(slowest).toBeLessThan(TIMEOUT_MS);
    for (const e of l.mock.endpoints) expect(e.stats().maxInFlight).toBeLessThanOrEqual(SLOTS);
    const served = l.mock.endpoints.reduce((n, e) => n + e.stats().completed, 0);
    expect(served).toBe(CALLS);
    expect(l.router.stats().endpoints.every((e) => e.inFlight === 0 && e.queued === 0)).toBe(true);

    const interactive = results.filter((r) => r.priority === 'interactive').map((r) => r.ms);
    const background = results.filter((r) => r.priority === 'background').map((r) => r.ms);
    // Issued last, finished first on average: they jumped the queues.
    expect(mean(interactive)).toBeLessThan(mean(background));
    const lastBackground = [...background].sort((a, b) => a - b)[
      Math.floor(background.length * 0.9)
    ];
    expect(Math.max(...interactive)).toBeLessThan(lastBackground as number);

    // Heap growth over 1,000 calls (the lab keeps every event): a loose bound, not a measurement.
    const grownMb = heapAfter - heapBefore;
    expect(grownMb).toBeLessThan(60);
    console.info(
      `load: ${CALLS} calls in ${seconds.toFixed(2)} s, slowest ${Math.round(slowest)} ms, ` +
        `interactive mean ${Math.round(mean(interactive))} ms vs background ${Math.round(mean(background))} ms, ` +
        `heap ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MB (gc ${gc ? 'on' : 'off'}), ` +
        `maxInFlight ${l.mock.endpoints.map((e) => e.stats().maxInFlight).join('/')}`,
    );
  });
});
