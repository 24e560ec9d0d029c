import { afterEach, describe, expect, it, vi } from 'vitest';
import { edgeProfile, type Lab, originProfile, servedBy, startLab } from './two-tier.js';

let lab: Lab;
afterEach(async () => {
  await lab?.close();
});

const short = { messages: [{ role: 'user' as const, content: 'Quick question' }], max_tokens: 8 };
const slowTimeouts = { firstTokenFloorMs: 5_000, stallMs: 5_000, totalMs: 10_000 };

describe('hedging', () => {
  it('rescues a hung first attempt long before its first-token timeout, and aborts the loser', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], {
      hedge: { delayMs: 50 },
      timeouts: slowTimeouts,
    });
    await lab.mock.endpoint('edge-1').control({ faults: { hangRate: 1 } });
    const started = performance.now();
    const c = await lab.router.chat.completions.create(short);
    const elapsed = performance.now() - started;
    expect(c.model).toBe('origin-model');
    expect(elapsed).toBeLessThan(1_000);
    const hedge = lab.events.find(([n]) => n === 'hedge:start')?.[1];
    expect(hedge).toMatchObject({ endpointId: 'origin', primaryEndpointId: 'edge-1', delayMs: 50 });
    await vi.waitFor(() => expect(lab.mock.endpoint('edge-1').stats().aborted).toBe(1));
    expect(lab.mock.endpoint('origin').stats().completed).toBe(1);
  });

  it('rescues a stalled stream before its first token; the first token wins', async () => {
    lab = await startLab([edgeProfile('edge-1', { ttftMs: 2_000 }), originProfile()], {
      hedge: { delayMs: 50 },
      timeouts: slowTimeouts,
    });
    const stream = await lab.router.chat.completions.create({ ...short, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toMatch(/^origin:/);
    expect(stream.endpointId).toBe('origin');
    await vi.waitFor(() => expect(lab.mock.endpoint('edge-1').stats().aborted).toBe(1));
  });

  it('does not hedge a call that answers before the delay', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], { hedge: { delayMs: 500 } });
    for (let i = 0; i < 5; i++) await lab.router.chat.completions.create(short);
    expect(lab.events.filter(([n]) => n === 'hedge:start')).toHaveLength(0);
    expect(lab.mock.endpoint('origin').stats().received).toBe(0);
  });

  it('per call: route.hedge turns hedging on for one call', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], { timeouts: slowTimeouts });
    await lab.mock.endpoint('edge-1').control({ faults: { hangRate: 1 } });
    const c = await lab.router.chat.completions.create(short, {
      route: { hedge: { delayMs: 30 } },
    });
    expect(c.model).toBe('origin-model');
    expect(servedBy(lab)).toEqual(['origin']);
    expect(lab.events.filter(([n]) => n === 'hedge:start')).toHaveLength(1);
    expect(lab.events.some(([n]) => n === 'failover')).toBe(false);
  });

  it('keeps hedged extra load within maxExtraLoad over 1,000 calls', async () => {
    // One edge answers 30% of calls 150 ms late: without a bound, a third of calls would hedge.
    lab = await startLab(
      [
        edgeProfile('edge-1', { faults: { stallRate: 0.3, stallMs: 150 } }),
        edgeProfile('edge-2'),
        originProfile(),
      ],
      {
        hedge: { delayMs: 20, maxExtraLoad: 0.05 },
        timeouts: slowTimeouts,
        health: { ejectAfterFailures: 1000, ejectErrorRate: 1 },
      },
      () => ({}),
    );
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next++ < 1_000)
          await lab.router.chat.completions.create(short, { route: { endpoint: undefined } });
      }),
    );
    const hedges = lab.events.filter(([n]) => n === 'hedge:start').length;
    const ends = lab.events.filter(([n]) => n === 'request:end').length;
    expect(ends).toBe(1_000);
    expect(hedges).toBeGreaterThan(0);
    // maxExtraLoad × calls, plus the one hedge per window any client may make.
    expect(hedges).toBeLessThanOrEqual(51);
  });
});
