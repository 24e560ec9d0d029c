import { afterEach, describe, expect, it } from 'vitest';
import { BudgetExceededError, DeadlineExceededError, InvalidRequestError } from '../src/index.js';
import { edgeProfile, type Lab, originProfile, prompt, servedBy, startLab } from './two-tier.js';

let lab: Lab;
afterEach(async () => {
  await lab?.close();
});

const ask = (content: string, max_tokens = 8) => ({
  messages: [
    { role: 'system' as const, content: 'You are a careful research agent. '.repeat(20) },
    { role: 'user' as const, content },
  ],
  max_tokens,
});

describe('sessions: affinity', () => {
  it('sticks to the endpoint that served the session, and uses its prefix cache', async () => {
    lab = await startLab([
      edgeProfile('edge-1', { prefixCache: true }),
      edgeProfile('edge-2', { prefixCache: true }),
      originProfile(),
    ]);
    const session = lab.router.session({ id: 'chain-1' });
    for (let i = 0; i < 10; i++) await session.chat.completions.create(ask(`step ${i}`));
    const served = servedBy(lab);
    expect(new Set(served).size).toBe(1);
    const sticky = served[0] as string;
    expect(session.stats().affinity).toEqual({ edge: sticky });
    expect(session.stats().byEndpoint).toEqual({ [sticky]: 10 });
    expect(lab.mock.endpoint(sticky).stats().cachedTokensIn).toBeGreaterThan(0);
    const other = sticky === 'edge-1' ? 'edge-2' : 'edge-1';
    expect(lab.mock.endpoint(other).stats().received).toBe(0);
  });

  it('moves when its endpoint is ejected, and sticks to the new one', async () => {
    lab = await startLab([edgeProfile('edge-1'), edgeProfile('edge-2'), originProfile()], {
      health: { ejectAfterFailures: 1 },
    });
    const session = lab.router.session();
    await session.chat.completions.create(ask('first'));
    const first = servedBy(lab)[0] as string;
    const other = first === 'edge-1' ? 'edge-2' : 'edge-1';
    await lab.mock.endpoint(first).control({ faults: { errorRate: 1, errorStatus: 503 } });
    for (let i = 0; i < 5; i++) await session.chat.completions.create(ask(`after ${i}`));
    expect(servedBy(lab).slice(1)).toEqual([other, other, other, other, other]);
    expect(session.stats().affinity).toEqual({ edge: other });
  });

  it('never piles a burst of session calls onto one endpoint', async () => {
    lab = await startLab([
      edgeProfile('edge-1', { ttftMs: 30 }),
      edgeProfile('edge-2', { ttftMs: 30 }),
      originProfile(),
    ]);
    const session = lab.router.session();
    await session.chat.completions.create(ask('warm'));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => session.chat.completions.create(ask(`burst ${i}`))),
    );
    const counts = lab.mock.endpoints.map((e) => e.stats().received);
    expect(counts[0]).toBeGreaterThan(3);
    expect(counts[1]).toBeGreaterThan(3);
  });
});

describe('sessions: budget', () => {
  it('refuses a call whose worst case exceeds the budget before sending anything', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], {}, (id) => ({
      price:
        id === 'origin'
          ? { inputPerMTok: 2.5, outputPerMTok: 10 }
          : { inputPerMTok: 0.05, outputPerMTok: 0.1 },
    }));
    const exceeded: unknown[] = [];
    lab.router.on('budget:exceeded', (e) => exceeded.push(e));
    const session = lab.router.session({ id: 'tight', budgetUsd: 0.001 });
    // ~3000 prompt tokens fit only the origin: worst case ≈ $0.0075 + $0.001 > $0.001.
    const error = await session.chat.completions
      .create({ messages: [prompt(3000)], max_tokens: 100 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.code).toBe('budget_exceeded');
    expect(error.budgetUsd).toBe(0.001);
    expect(exceeded).toHaveLength(1);
    for (const e of lab.mock.endpoints) expect(e.stats().received).toBe(0);
  });

  it('sends a call the budget cannot afford on its preferred tier to a cheaper tier it fits', async () => {
    lab = await startLab(
      [edgeProfile('edge-1'), originProfile()],
      { tiers: ['origin', 'edge'] },
      (id) => ({
        price:
          id === 'origin'
            ? { inputPerMTok: 2.5, outputPerMTok: 10 }
            : { inputPerMTok: 0.05, outputPerMTok: 0.1 },
      }),
    );
    const rich = lab.router.session({ budgetUsd: 10 });
    await rich.chat.completions.create(ask('hi', 50));
    const poor = lab.router.session({ budgetUsd: 0.0005 });
    await poor.chat.completions.create(ask('hi', 50));
    expect(servedBy(lab)).toEqual(['origin', 'edge-1']);
    const stats = poor.stats();
    expect(stats.costUsd).toBeGreaterThan(0);
    expect(stats.remainingUsd).toBeCloseTo(0.0005 - stats.costUsd, 10);
  });
});

describe('sessions: deadline', () => {
  it('skips a tier predicted too slow for the time left', async () => {
    lab = await startLab([edgeProfile('edge-1', { ttftMs: 250 }), originProfile({ ttftMs: 5 })], {
      timeouts: { firstTokenFloorMs: 5_000 },
    });
    // Learn both tiers' latency first.
    for (let i = 0; i < 3; i++) {
      await lab.router.chat.completions.create({ ...ask('warm'), model: 'edge' });
      await lab.router.chat.completions.create({ ...ask('warm'), model: 'origin' });
    }
    const session = lab.router.session({ deadlineMs: 150 });
    await session.chat.completions.create(ask('quick'));
    expect(servedBy(lab).at(-1)).toBe('origin');
    const select = lab.events.filter(([n]) => n === 'route:select').at(-1)?.[1];
    expect(String(select?.reason)).toMatch(/deadline/);
  });

  it('ends a call that runs past the deadline with DeadlineExceededError, and refuses calls after it', async () => {
    lab = await startLab([edgeProfile('edge-1', { ttftMs: 400 })]);
    const session = lab.router.session({ deadlineMs: 100 });
    const error = await session.chat.completions.create(ask('slow')).catch((e) => e);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error.code).toBe('deadline_exceeded');
    const received = lab.mock.endpoint('edge-1').stats().received;
    const after = await session.chat.completions.create(ask('late')).catch((e) => e);
    expect(after).toBeInstanceOf(DeadlineExceededError);
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(received);
  });
});

describe('sessions: concurrency and batch', () => {
  it('batch settles results in input order with never more than `concurrency` in flight', async () => {
    lab = await startLab([edgeProfile('edge-1', { ttftMs: 20 })]);
    const session = lab.router.session();
    const bodies = Array.from({ length: 12 }, (_, i) => ({
      messages: [{ role: 'user' as const, content: `task ${i}` }],
      max_tokens: i + 1,
    }));
    const progress: number[] = [];
    lab.router.on('batch:progress', (e) => progress.push(e.done));
    const results = await session.batch(bodies, { concurrency: 3 });
    expect(results.map((r) => r.status)).toEqual(Array(12).fill('fulfilled'));
    expect(
      results.map((r) => (r.status === 'fulfilled' ? r.value.usage?.completion_tokens : 0)),
    ).toEqual(bodies.map((b) => b.max_tokens));
    const stats = lab.mock.endpoint('edge-1').stats();
    expect(stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(stats.maxInFlight).toBe(3);
    expect(progress).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('batch reports each failure in place and goes on', async () => {
    lab = await startLab([edgeProfile('edge-1')]);
    const results = await lab.router.session().batch([
      { messages: [{ role: 'user', content: 'ok' }], max_tokens: 2 },
      { messages: [{ role: 'user', content: 'ok' }], model: 'nope' },
      { messages: [{ role: 'user', content: 'ok' }], max_tokens: 3 },
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidRequestError);
  });

  it('batch refuses streaming bodies before sending anything', async () => {
    lab = await startLab([edgeProfile('edge-1')]);
    const error = await lab.router
      .session()
      .batch([
        { messages: [{ role: 'user', content: 'a' }] },
        { messages: [{ role: 'user', content: 'b' }], stream: true } as never,
      ])
      .catch((e) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toMatch(/bodies\[1\]/);
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(0);
  });

  it("maxConcurrency bounds the session's calls in flight", async () => {
    lab = await startLab([edgeProfile('edge-1', { ttftMs: 20 })]);
    const session = lab.router.session({ maxConcurrency: 2 });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => session.chat.completions.create(ask(`c${i}`))),
    );
    expect(lab.mock.endpoint('edge-1').stats().maxInFlight).toBe(2);
  });
});
