import { type MockServer, startMockServer } from '@tiered/mock-server';
import { createRouter, type Router, type RouteSelectEvent } from '@tiered/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { buildMessages, loadTrace, type TraceName } from '../src/trace.js';

/**
 * The router's prompt estimate against the count the mock reports, on the shared traces' prompt
 * sizes, built the way the replay builds them (`buildMessages`). One endpoint with no delays and a
 * window that holds every prompt, so each call is an estimate and a count, nothing else.
 */
let mock: MockServer | undefined;
let router: Router | undefined;
afterEach(async () => {
  await router?.close();
  await mock?.close();
  router = undefined;
  mock = undefined;
});

const WARM_UP = 50;

async function estimateErrors(trace: TraceName, requests: number) {
  const rows = loadTrace(trace, Number.POSITIVE_INFINITY).slice(0, requests);
  mock = await startMockServer({
    seed: 1,
    timeScale: 1,
    endpoints: [{ id: 'one', model: 'm', contextWindow: 1_000_000, jitter: 0, outputTokens: 1 }],
  });
  router = createRouter({
    probes: false,
    endpoints: [
      {
        id: 'one',
        tier: 'origin',
        baseURL: mock.endpoint('one').baseURL,
        model: 'm',
        contextWindow: 1_000_000,
      },
    ],
  });
  const estimates = new Map<string, number>();
  router.on('route:select', (e: RouteSelectEvent) => {
    estimates.set(e.requestId, e.candidates[0]?.promptTokens ?? Number.NaN);
  });
  const counts = new Map<string, number>();
  router.on('request:end', (e) => counts.set(e.requestId, e.usage?.prompt_tokens ?? Number.NaN));
  const errors: { tokens: number; estimate: number; relative: number }[] = [];
  for (const [i, r] of rows.entries()) {
    const before = counts.size;
    await router.chat.completions.create({
      messages: buildMessages(r, trace),
      max_tokens: r.outputTokens,
    });
    expect(counts.size).toBe(before + 1);
    if (i < WARM_UP) continue;
    const [id, tokens] = [...counts].at(-1) as [string, number];
    const estimate = estimates.get(id) as number;
    errors.push({ tokens, estimate, relative: (estimate - tokens) / tokens });
  }
  return errors;
}

describe('prompt estimate on the shared traces (after 50 calls of warm-up)', () => {
  it.each([
    ['azure', 400],
    ['mooncake', 150],
  ] as const)('%s: every estimate within 10% of the count the mock reports', async (trace, n) => {
    const errors = await estimateErrors(trace, n);
    expect(errors).toHaveLength(n - WARM_UP);
    const worst = errors.reduce((a, b) => (Math.abs(b.relative) > Math.abs(a.relative) ? b : a));
    expect(Math.abs(worst.relative), JSON.stringify(worst)).toBeLessThanOrEqual(0.1);
    // Prompt sizes vary enough for the check to mean something.
    const sizes = errors.map((e) => e.tokens);
    expect(Math.min(...sizes)).toBeLessThan(trace === 'azure' ? 100 : 2_000);
    expect(Math.max(...sizes)).toBeGreaterThan(trace === 'azure' ? 4_000 : 50_000);
    if (process.env.TIERED_PRINT_ERRORS) {
      const abs = errors.map((e) => Math.abs(e.relative)).sort((a, b) => a - b);
      console.log(trace, { n: abs.length, worst: worst, p50: abs[abs.length >> 1] });
    }
  });
});
