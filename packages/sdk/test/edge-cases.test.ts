import { afterEach, describe, expect, it } from 'vitest';
import { type ResolvedEndpoint, resolveConfig } from '../src/config.js';
import { estimateRequest } from '../src/estimate/estimate-request.js';
import { AbortError, TimeoutError } from '../src/index.js';
import { worstCaseCostUsd } from '../src/policy/plan-route.js';
import { EndpointSignals } from '../src/signals/endpoint-signals.js';
import { edgeProfile, type Lab, originProfile, servedBy, startLab } from './two-tier.js';

// Cases found in review: each failed before its fix.

let lab: Lab;
afterEach(async () => {
  await lab?.close();
});

const ask = (content = 'hi', max_tokens: number | undefined = 8) => ({
  messages: [{ role: 'user' as const, content }],
  ...(max_tokens ? { max_tokens } : {}),
});
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slow = { firstTokenFloorMs: 5_000, stallMs: 5_000, totalMs: 10_000 };

describe('plain calls stream upstream', () => {
  it('go plain when the answer is bounded and short, streamed when it is not', async () => {
    const sent: Array<{ stream?: boolean; max_tokens?: number }> = [];
    lab = await startLab([edgeProfile('edge-1', { contextWindow: 200_000 })], {
      fetch: (input, init) => {
        if (typeof init?.body === 'string') sent.push(JSON.parse(init.body));
        return globalThis.fetch(input, init);
      },
    });
    await lab.router.chat.completions.create(ask('short', 16));
    await lab.router.chat.completions.create(ask('unbounded', 0));
    await lab.router.chat.completions.create(ask('long', 100_000));
    expect(sent.map((b) => b.stream === true)).toEqual([false, true, true]);
  });

  it('a long answer without max_tokens completes on a healthy endpoint (no timeout from a short typical length)', async () => {
    lab = await startLab([edgeProfile('edge-1', { decodeTokensPerSec: 400, outputTokens: 400 })], {
      timeouts: { firstTokenFloorMs: 300 },
    });
    const c = await lab.router.chat.completions.create(ask('write an essay', 0));
    expect(c.usage?.completion_tokens).toBe(400);
    expect(c.choices[0]?.message.content?.split(' ').length).toBeGreaterThan(300);
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(1);
  });

  it('an answer cut mid-way fails over and the caller gets a whole answer from the next endpoint', async () => {
    lab = await startLab([
      edgeProfile('edge-1', { faults: { disconnectRate: 1 } }),
      originProfile(),
    ]);
    const c = await lab.router.chat.completions.create(ask('hi', 12));
    expect(c.model).toBe('origin-model');
    expect(c.choices[0]?.finish_reason).toBe('length');
    expect(c.usage?.completion_tokens).toBe(12);
    expect(lab.events.find(([n]) => n === 'attempt:error')?.[1].failure).toBe('connection');
  });

  it('assembles tool calls into the message', async () => {
    lab = await startLab([edgeProfile('edge-1')]);
    const c = await lab.router.chat.completions.create({
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } },
      ],
      tool_choice: 'required',
    });
    const call = c.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    expect(call && 'function' in call ? call.function.name : '').toBe('get_weather');
    expect(call && 'function' in call ? JSON.parse(call.function.arguments) : null).toEqual({});
    expect(c.choices[0]?.finish_reason).toBe('tool_calls');
  });
});

describe('hedged streams', () => {
  it("still honour the caller's abort and the total timeout", async () => {
    lab = await startLab([edgeProfile('edge-1', { decodeTokensPerSec: 20 }), originProfile()], {
      hedge: { delayMs: 1_000 },
      timeouts: slow,
    });
    const controller = new AbortController();
    const stream = await lab.router.chat.completions.create(
      { ...ask('story', 60), stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    const error = await (async () => {
      for await (const _ of stream) if (++chunks === 2) controller.abort();
    })().catch((e) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(chunks).toBeLessThan(10);

    const timed = await lab.router.chat.completions.create(
      { ...ask('story', 60), stream: true },
      { timeout: 300 },
    );
    const timeout = await (async () => {
      for await (const _ of timed) {
      }
    })().catch((e) => e);
    expect(timeout).toBeInstanceOf(TimeoutError);
  });

  it('number hedge lanes apart', async () => {
    lab = await startLab([edgeProfile('edge-1', { ttftMs: 500 }), originProfile()], {
      hedge: { delayMs: 30 },
      timeouts: slow,
    });
    await lab.router.chat.completions.create(ask());
    const starts = lab.events.filter(([n]) => n === 'attempt:start').map(([, p]) => p.attempt);
    expect(starts).toEqual([1, 2]);
    const end = lab.events.find(([n]) => n === 'request:end')?.[1];
    expect(end?.attempts).toBe(2);
  });
});

describe('signals', () => {
  it('a timeout penalty fades with time, so the endpoint gets traffic again', async () => {
    let offset = 0;
    lab = await startLab(
      [edgeProfile('edge-1'), edgeProfile('edge-2', { ttftMs: 10 }), originProfile()],
      { now: () => performance.now() + offset, health: { ejectAfterFailures: 100 } },
    );
    const edgeCalls = async (n: number) => {
      const before = servedBy(lab).length;
      for (let i = 0; i < n; i++) {
        await lab.router.chat.completions.create(ask(), { route: { tier: 'edge' } });
      }
      return servedBy(lab).slice(before);
    };
    // Both edges measured first: edge-1 is the faster one.
    for (const endpoint of ['edge-1', 'edge-2', 'edge-1', 'edge-2', 'edge-1', 'edge-2']) {
      await lab.router.chat.completions.create(ask(), { route: { endpoint } });
    }
    await lab.mock.endpoint('edge-1').control({ faults: { hangRate: 1 } });
    await lab.router.chat.completions
      .create(ask(), { route: { endpoint: 'edge-1' }, timeout: 1_000 })
      .catch(() => {});
    await lab.mock.endpoint('edge-1').control({ faults: { hangRate: 0 } });
    expect(await edgeCalls(5)).not.toContain('edge-1'); // penalised
    offset += 10 * 60_000; // ten minutes later
    expect(await edgeCalls(10)).toContain('edge-1');
  });

  it('Retry-After is honoured for a call pinned to a rate-limited endpoint', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], {
      retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
    });
    await lab.mock.endpoint('edge-1').control({ faults: { rateLimitRate: 1, retryAfterS: 0.2 } });
    const started = performance.now();
    await lab.router.chat.completions
      .create(ask(), { route: { endpoint: 'edge-1' } })
      .catch(() => {});
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    const retry = lab.events.find(([n]) => n === 'retry')?.[1];
    expect(Number(retry?.delayMs)).toBeGreaterThan(100);
  });
});

describe('router lifecycle', () => {
  it('a second close() does not strand the first', async () => {
    lab = await startLab([edgeProfile('edge-1', { ttftMs: 50 })], { timeouts: slow });
    const call = lab.router.chat.completions.create(ask());
    await tick(5);
    const first = lab.router.close();
    const second = lab.router.close();
    await call;
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
  });

  it('an unread stream settles when its timeout fires: the slot frees and close() resolves', async () => {
    lab = await startLab([edgeProfile('edge-1', { decodeTokensPerSec: 20 })], { timeouts: slow });
    const stream = await lab.router.chat.completions.create(
      { ...ask('x', 100), stream: true },
      { timeout: 200 },
    );
    await tick(400);
    expect(lab.router.stats().endpoints[0]?.inFlight).toBe(0);
    expect(lab.router.stats().totals.inFlight).toBe(0);
    await lab.router.close();
    const error = await (async () => {
      for await (const _ of stream) {
      }
    })().catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it('request:error carries the number of attempts made', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], { retry: { retries: 0 } });
    for (const e of lab.mock.endpoints)
      await e.control({ faults: { errorRate: 1, errorStatus: 503 } });
    await lab.router.chat.completions.create(ask()).catch(() => {});
    await tick(0);
    expect(lab.events.find(([n]) => n === 'request:error')?.[1].attempts).toBe(2);
  });

  it('a listener that throws breaks neither the call nor the other listeners', async () => {
    lab = await startLab([edgeProfile('edge-1')]);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    let second = 0;
    lab.router.on('request:end', () => {
      throw new Error('listener bug');
    });
    lab.router.on('request:end', () => second++);
    const c = await lab.router.chat.completions.create(ask());
    await tick(10);
    process.off('warning', onWarning);
    expect(c.model).toBe('edge-model');
    expect(second).toBe(1);
    expect(warnings.some((w) => w.includes('listener bug'))).toBe(true);
  });

  it('a break after the last content chunk counts as an answered call', async () => {
    lab = await startLab([edgeProfile('edge-1')]);
    const stream = await lab.router.chat.completions.create({ ...ask('x', 5), stream: true });
    for await (const chunk of stream) if (chunk.choices[0]?.finish_reason) break;
    await tick(10);
    const totals = lab.router.stats().totals;
    expect(totals.calls).toBe(1);
    expect(totals.failed).toBe(0);
    expect(lab.events.some(([n]) => n === 'request:end')).toBe(true);
  });
});

describe('sessions', () => {
  it('maxConcurrency holds a slot until a stream settles, and counts answered streams', async () => {
    lab = await startLab([edgeProfile('edge-1', { decodeTokensPerSec: 100 })]);
    const session = lab.router.session({ maxConcurrency: 1 });
    const first = await session.chat.completions.create({ ...ask('a', 20), stream: true });
    const second = session.chat.completions.create({ ...ask('b', 20), stream: true });
    await tick(50);
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(1);
    for await (const _ of first) {
    }
    for await (const _ of await second) {
    }
    expect(lab.mock.endpoint('edge-1').stats().maxInFlight).toBe(1);
    expect(session.stats()).toMatchObject({ calls: 2, failed: 0, inFlight: 0 });
  });

  it('an abort while queued in a session is an AbortError and counts as failed', async () => {
    lab = await startLab([edgeProfile('edge-1', { ttftMs: 100 })], { timeouts: slow });
    const session = lab.router.session({ maxConcurrency: 1 });
    const busy = session.chat.completions.create(ask());
    const controller = new AbortController();
    const queued = session.chat.completions.create(ask(), { signal: controller.signal });
    controller.abort();
    await expect(queued).rejects.toBeInstanceOf(AbortError);
    await busy;
    expect(session.stats()).toMatchObject({ calls: 1, failed: 1 });
  });

  it('a batch with a signal and many bodies sets off no listener-leak warning', async () => {
    lab = await startLab([edgeProfile('edge-1')]);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const controller = new AbortController();
    const results = await lab.router.session().batch(
      Array.from({ length: 30 }, () => ask()),
      { concurrency: 4, signal: controller.signal },
    );
    await tick(10);
    process.off('warning', onWarning);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(warnings.filter((w) => w === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('escalation stays within the session budget', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], {}, (id) => ({
      price:
        id === 'origin'
          ? { inputPerMTok: 2.5, outputPerMTok: 10 }
          : { inputPerMTok: 0.05, outputPerMTok: 0.1 },
    }));
    // The budget covers the origin's worst case, but not once the edge answer is paid for: the
    // escalation must be refused (it was sent before the rejected answer's cost was booked).
    const originWorstUsd = worstCaseFor(ask('x', 50), 2.5, 10);
    const session = lab.router.session({ budgetUsd: originWorstUsd + 2e-6 });
    const c = await session.chat.completions.create(ask('x', 50), {
      route: { accept: () => false },
    });
    expect(c.model).toBe('edge-model'); // the rejected answer is all the budget allows
    expect(session.stats().remainingUsd).toBeGreaterThanOrEqual(0);
    expect(lab.mock.endpoint('origin').stats().received).toBe(0);
  });

  it('when the escalated run fails, the rejected answer is returned rather than lost', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], { retry: { retries: 0 } });
    await lab.mock.endpoint('origin').control({ faults: { errorRate: 1, errorStatus: 503 } });
    const c = await lab.router.chat.completions.create(ask(), { route: { accept: () => false } });
    expect(c.model).toBe('edge-model');
    expect(lab.router.stats().totals.escalations).toBe(1);
  });
});

/** The router's worst-case cost of a body on a cold endpoint with these prices (USD per MTok). */
function worstCaseFor(body: ReturnType<typeof ask>, inputPerMTok: number, outputPerMTok: number) {
  const config = resolveConfig({
    probes: false,
    endpoints: [
      {
        id: 'o',
        tier: 'o',
        baseURL: 'http://o/v1',
        model: 'm',
        contextWindow: 128_000,
        price: { inputPerMTok, outputPerMTok },
      },
    ],
  });
  const s = new EndpointSignals(config.endpoints[0] as ResolvedEndpoint, config);
  const facts = estimateRequest(body);
  const out = facts.maxOutputTokens ?? 0;
  return worstCaseCostUsd(
    s,
    {
      promptChars: facts.promptChars,
      imageParts: 0,
      outputTokens: out,
      needs: facts.needs,
      worstCaseOutputTokens: out,
    },
    config.estimate.imageTokens,
  );
}
