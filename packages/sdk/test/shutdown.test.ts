import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortError, RouterClosedError, TimeoutError } from '../src/index.js';
import { edgeProfile, type Lab, originProfile, startLab } from './two-tier.js';

let lab: Lab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
const streamBody = (content: string, max_tokens = 10) => ({
  messages: [{ role: 'user' as const, content }],
  max_tokens,
  stream: true as const,
});

/** Reads a stream to its end; returns the chunks, or the error with the chunks seen before it. */
async function read(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  try {
    for await (const c of stream) chunks.push(c);
    return { chunks, error: undefined as unknown };
  } catch (error) {
    return { chunks, error };
  }
}

const inFlight = (l: Lab) => l.router.stats().endpoints.map((e) => e.inFlight);
const count = (items: string[], name: string) => items.filter((r) => r === name).length;

describe('close()', () => {
  it('lets streams in flight finish; new calls and sessions get RouterClosedError', async () => {
    // 10 tokens at 100 tokens/s: each stream takes ~100 ms after its first token.
    lab = await startLab([edgeProfile('edge-1', { decodeTokensPerSec: 100 }), originProfile()], {
      timeouts: { firstTokenFloorMs: 5_000, stallMs: 5_000 },
    });
    const l = lab;
    const streams = await Promise.all(
      [1, 2, 3].map((i) => l.router.chat.completions.create(streamBody(`s${i}`))),
    );
    let closed = false;
    const closing = l.router.close().then(() => {
      closed = true;
    });

    const refused = await l.router.chat.completions.create(streamBody('late')).catch((e) => e);
    expect(refused).toBeInstanceOf(RouterClosedError);
    expect(refused.code).toBe('router_closed');
    expect(() => l.router.session()).toThrow(RouterClosedError);
    expect(closed).toBe(false); // still waiting for the streams

    const results = await Promise.all(streams.map(read));
    for (const { chunks, error } of results) {
      expect(error).toBeUndefined();
      expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('length');
    }
    await closing;
    expect(closed).toBe(true);
    const edge = l.mock.endpoint('edge-1').stats();
    expect(edge.completed).toBe(3);
    expect(edge.aborted).toBe(0);
    expect(inFlight(l)).toEqual([0, 0]);
  });

  it('close({ signal }) aborts streams in flight: they throw AbortError, upstream sees the abort', async () => {
    lab = await startLab([edgeProfile('edge-1', { decodeTokensPerSec: 20 }), originProfile()], {
      timeouts: { firstTokenFloorMs: 5_000, stallMs: 5_000 },
    });
    const l = lab;
    const streams = await Promise.all(
      [1, 2].map((i) => l.router.chat.completions.create(streamBody(`s${i}`, 50))),
    );
    const reading = streams.map(read);
    await l.router.close({ signal: AbortSignal.timeout(50) });
    const results = await Promise.all(reading);
    for (const { chunks, error } of results) {
      expect(error).toBeInstanceOf(AbortError);
      expect((error as AbortError).message).toMatch(/closing/);
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.some((c) => c.choices[0]?.finish_reason)).toBe(false);
    }
    await vi.waitFor(() => expect(l.mock.endpoint('edge-1').stats().aborted).toBe(2));
    expect(inFlight(l)).toEqual([0, 0]);
  });

  it('close() with an already aborted signal aborts a queued call too', async () => {
    lab = await startLab(
      [edgeProfile('edge-1', { ttftMs: 300 }), originProfile()],
      { timeouts: { firstTokenFloorMs: 5_000 } },
      (id) => (id === 'edge-1' ? { maxConcurrency: 1 } : {}),
    );
    const l = lab;
    const route = { endpoint: 'edge-1' };
    const a = l.router.chat.completions.create(streamBody('a'), { route }).catch((e) => e);
    const b = l.router.chat.completions.create(streamBody('b'), { route }).catch((e) => e);
    await tick(30);
    expect(l.router.stats().endpoints[0]?.queued).toBe(1);
    await l.router.close({ signal: AbortSignal.abort() });
    expect(await a).toBeInstanceOf(AbortError);
    expect(await b).toBeInstanceOf(AbortError);
    await tick(20);
    expect(l.mock.endpoint('edge-1').stats().received).toBe(1); // the queued one never left
    expect(l.router.stats().endpoints[0]?.queued).toBe(0);
  });

  it('probes stop at close(), even while a stream still drains', async () => {
    lab = await startLab([edgeProfile('edge-1', { decodeTokensPerSec: 50 }), originProfile()], {
      probes: { intervalMs: 15 },
      timeouts: { firstTokenFloorMs: 5_000, stallMs: 5_000 },
    });
    const l = lab;
    await tick(80);
    const stream = await l.router.chat.completions.create(streamBody('drain', 10));
    const closing = l.router.close();
    const probes = () => l.mock.endpoints.reduce((n, e) => n + e.stats().probes, 0);
    const atClose = probes();
    expect(atClose).toBeGreaterThan(2);
    const { error } = await read(stream);
    expect(error).toBeUndefined();
    await closing;
    await tick(80);
    // A probe already on the wire at close() may still land; no new one starts.
    expect(probes()).toBeLessThanOrEqual(atClose + l.mock.endpoints.length);
    const later = probes();
    await tick(80);
    expect(probes()).toBe(later);
  });

  it('after close() the router leaves no timer or socket behind', async () => {
    const resources = () => process.getActiveResourcesInfo();
    const before = resources();
    lab = await startLab([edgeProfile('edge-1'), originProfile()], {
      probes: { intervalMs: 20 },
      hedge: { delayMs: 5_000 },
    });
    const l = lab;
    // Leave work behind that arms every kind of timer: total timeouts, first-token timeouts,
    // stall watchdogs, hedge delays, backoff sleeps, probe timers.
    await l.mock.endpoint('origin').control({ faults: { errorRate: 1, errorStatus: 503 } });
    const work = [
      l.router.chat.completions.create({ messages: [{ role: 'user', content: 'x' }] }),
      l.router.chat.completions.create(streamBody('y')).then(read),
      l.router.chat.completions
        .create({ messages: [{ role: 'user', content: 'z' }] }, { route: { tier: 'origin' } })
        .catch(() => undefined),
    ];
    await Promise.all(work);
    await tick(50);
    await l.close();
    lab = undefined;
    await tick(50);
    const after = resources();
    for (const kind of ['Timeout', 'TCPSocketWrap', 'TCPServerWrap']) {
      expect(count(after, kind), kind).toBeLessThanOrEqual(count(before, kind));
    }
  });
});

describe('cancellation frees every slot', () => {
  it('an abort during a hedge aborts both lanes upstream and frees both slots', async () => {
    lab = await startLab(
      [edgeProfile('edge-1', { ttftMs: 2_000 }), originProfile({ ttftMs: 2_000 })],
      { hedge: { delayMs: 30 }, timeouts: { firstTokenFloorMs: 5_000, stallMs: 5_000 } },
      () => ({ maxConcurrency: 2 }),
    );
    const l = lab;
    const controller = new AbortController();
    const call = l.router.chat.completions
      .create(
        { messages: [{ role: 'user', content: 'x' }], max_tokens: 4 },
        {
          signal: controller.signal,
        },
      )
      .catch((e) => e);
    await tick(150);
    expect(l.events.some(([n]) => n === 'hedge:start')).toBe(true);
    expect(inFlight(l)).toEqual([1, 1]);
    controller.abort();
    const error = await call;
    expect(error).toBeInstanceOf(AbortError);
    expect(error.code).toBe('aborted');
    await vi.waitFor(() => {
      expect(l.mock.endpoint('edge-1').stats().aborted).toBe(1);
      expect(l.mock.endpoint('origin').stats().aborted).toBe(1);
    });
    expect(inFlight(l)).toEqual([0, 0]);
    expect(l.events.filter(([n]) => n === 'request:error')).toHaveLength(1);
  });

  it('an abort during a hedged stream (both lanes before the first token) frees both', async () => {
    lab = await startLab(
      [edgeProfile('edge-1', { ttftMs: 2_000 }), originProfile({ ttftMs: 2_000 })],
      { hedge: { delayMs: 30 }, timeouts: { firstTokenFloorMs: 5_000, stallMs: 5_000 } },
    );
    const l = lab;
    const controller = new AbortController();
    const call = l.router.chat.completions
      .create(streamBody('x'), { signal: controller.signal })
      .catch((e) => e);
    // Abort only once both lanes are on the wire (no fixed sleep: a loaded machine is slower).
    await vi.waitFor(() => {
      expect(l.events.some(([n]) => n === 'hedge:start')).toBe(true);
      expect(l.mock.endpoint('origin').stats().received).toBe(1);
    });
    controller.abort();
    expect(await call).toBeInstanceOf(AbortError);
    await vi.waitFor(() => {
      expect(l.mock.endpoint('edge-1').stats().aborted).toBe(1);
      expect(l.mock.endpoint('origin').stats().aborted).toBe(1);
    });
    expect(inFlight(l)).toEqual([0, 0]);
  });

  it('an abort mid-stream: the iterator throws AbortError, upstream is aborted, the slot is free', async () => {
    lab = await startLab(
      [edgeProfile('edge-1', { decodeTokensPerSec: 20 }), originProfile()],
      { timeouts: { firstTokenFloorMs: 5_000, stallMs: 5_000 } },
      (id) => (id === 'edge-1' ? { maxConcurrency: 1 } : {}),
    );
    const l = lab;
    const controller = new AbortController();
    const stream = await l.router.chat.completions.create(streamBody('x', 100), {
      signal: controller.signal,
    });
    const seen: ChatCompletionChunk[] = [];
    const error = await (async () => {
      for await (const c of stream) {
        seen.push(c);
        if (seen.length === 2) controller.abort(new Error('user left'));
      }
    })().catch((e) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(error.code).toBe('aborted');
    expect(seen).toHaveLength(2);
    await vi.waitFor(() => expect(l.mock.endpoint('edge-1').stats().aborted).toBe(1));
    expect(inFlight(l)).toEqual([0, 0]);
    expect(l.events.filter(([n]) => n === 'request:error')).toHaveLength(1);
    // The single slot is free: the next call is served by edge-1 at once.
    const next = await l.router.chat.completions.create(
      { messages: [{ role: 'user', content: 'next' }], max_tokens: 2 },
      { route: { endpoint: 'edge-1' } },
    );
    expect(next.model).toBe('edge-model');
  });

  it('the total timeout mid-stream: the iterator throws TimeoutError and the slot is free', async () => {
    lab = await startLab([edgeProfile('edge-1', { decodeTokensPerSec: 20 }), originProfile()], {
      timeouts: { firstTokenFloorMs: 5_000, stallMs: 5_000 },
    });
    const l = lab;
    const stream = await l.router.chat.completions.create(streamBody('x', 100), { timeout: 200 });
    const { chunks, error } = await read(stream);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(200);
    expect(chunks.length).toBeGreaterThan(0);
    await vi.waitFor(() => expect(l.mock.endpoint('edge-1').stats().aborted).toBe(1));
    expect(inFlight(l)).toEqual([0, 0]);
  });
});
