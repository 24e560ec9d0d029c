import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortError, RouterClosedError, TimeoutError } from '../src/index.js';
import { edgeProfile, type Lab, originProfile, startLab } from './two-tier.js';

let lab: Lab;
afterEach(async () => {
  await lab?.close();
});

const short = { messages: [{ role: 'user' as const, content: 'Hello' }], max_tokens: 8 };
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cancellation', () => {
  it('a signal aborted before the call sends nothing', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    const error = await lab.router.chat.completions
      .create(short, { signal: AbortSignal.abort() })
      .catch((e) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(error.code).toBe('aborted');
    for (const e of lab.mock.endpoints) expect(e.stats().received).toBe(0);
  });

  it('aborting a queued call removes it from the queue; it is never sent', async () => {
    // A generous first-token timeout: only the abort may end these calls, not a slow machine.
    lab = await startLab(
      [edgeProfile('edge-1', { ttftMs: 200 }), originProfile()],
      { timeouts: { firstTokenFloorMs: 5_000 } },
      (id) => (id === 'edge-1' ? { maxConcurrency: 1 } : {}),
    );
    const first = lab.router.chat.completions.create(short, { route: { endpoint: 'edge-1' } });
    await tick(20);
    const controller = new AbortController();
    const queued = lab.router.chat.completions.create(short, {
      route: { endpoint: 'edge-1' },
      signal: controller.signal,
    });
    await tick(20);
    expect(lab.router.stats().endpoints[0]?.queued).toBe(1);
    controller.abort();
    const error = await queued.catch((e) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(lab.router.stats().endpoints[0]?.queued).toBe(0);
    await first;
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(1);
  });

  it('aborting during an attempt aborts the upstream request and starts nothing further', async () => {
    lab = await startLab([edgeProfile('edge-1', { ttftMs: 500 }), originProfile()], {
      timeouts: { firstTokenFloorMs: 5_000 },
    });
    const controller = new AbortController();
    const call = lab.router.chat.completions.create(short, { signal: controller.signal });
    await tick(50);
    controller.abort(new Error('user gave up'));
    const error = await call.catch((e) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(error.cause).toBeInstanceOf(Error);
    await vi.waitFor(() => expect(lab.mock.endpoint('edge-1').stats().aborted).toBe(1));
    expect(lab.mock.endpoint('origin').stats().received).toBe(0);
    expect(lab.router.stats().endpoints[0]?.inFlight).toBe(0);
  });

  it('aborting during a backoff sleep ends the call at once, with no further attempt', async () => {
    lab = await startLab([edgeProfile('edge-1')], {
      retry: { retries: 3, minDelayMs: 2_000, maxDelayMs: 2_000 },
    });
    await lab.mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 503 } });
    const controller = new AbortController();
    const started = Date.now();
    const call = lab.router.chat.completions.create(short, { signal: controller.signal });
    await tick(100);
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(1);
    controller.abort();
    const error = await call.catch((e) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(1_500);
    await tick(50);
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(1);
  });

  it('the total timeout bounds a call with a TimeoutError', async () => {
    lab = await startLab([edgeProfile('edge-1')], { timeouts: { firstTokenFloorMs: 5_000 } });
    await lab.mock.endpoint('edge-1').control({ faults: { hangRate: 1 } });
    const error = await lab.router.chat.completions.create(short, { timeout: 150 }).catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.code).toBe('timeout');
    expect(error.timeoutMs).toBe(150);
  });
});

describe('close()', () => {
  it('lets calls in flight finish, then refuses new calls with RouterClosedError', async () => {
    lab = await startLab([edgeProfile('edge-1', { ttftMs: 100 })], {
      timeouts: { firstTokenFloorMs: 5_000 },
    });
    const inFlight = lab.router.chat.completions.create(short);
    await tick(10);
    const closed = lab.router.close();
    const refused = await lab.router.chat.completions.create(short).catch((e) => e);
    expect(refused).toBeInstanceOf(RouterClosedError);
    expect(refused.code).toBe('router_closed');
    const done = await inFlight;
    expect(done.model).toBe('edge-model');
    await closed;
    expect(lab.mock.endpoint('edge-1').stats().completed).toBe(1);
  });

  it('aborts calls in flight when its signal fires', async () => {
    lab = await startLab([edgeProfile('edge-1', { ttftMs: 2_000 })]);
    const inFlight = lab.router.chat.completions.create(short).catch((e) => e);
    await tick(10);
    await lab.router.close({ signal: AbortSignal.timeout(30) });
    const error = await inFlight;
    expect(error).toBeInstanceOf(AbortError);
    expect(error.message).toMatch(/closing/);
  });
});
