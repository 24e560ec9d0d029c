/**
 * Chaos soak: many calls, streaming and not, at high concurrency, against a mock topology where
 * every fault fires at random on the edges (5xx, 429 storms, hangs, disconnects, stalls, malformed
 * chunks, one edge flapping down and up on a timer) in front of a healthy origin. Checks that:
 *
 * - every call ends with a correct, complete answer (a ChatCompletion with choices whose text comes
 *   from the endpoint the router says served it; a stream read to its end whose last chunk has a
 *   finish_reason) or a typed `TieredError`, within its timeout;
 * - none is lost (every started call settles);
 * - none is sent twice beyond the router's own counted attempts: per request id, what the mock
 *   endpoints received never exceeds the router's `attempt:start` events, and falls short only by
 *   attempts that never reached a server (connection refused, or aborted before arrival);
 * - no unhandled rejection; after `router.close()` and `mock.close()` no timer or socket is left
 *   and the process exits by itself; heap after gc at the start vs the end.
 *
 * Run: `cd packages/bench && node --import tsx src/chaos-soak.ts [--calls 20000] [--concurrency 64]
 * [--seed 1] [--time-scale 0.1]`. Prints a table; exits non-zero if an invariant broke.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type EndpointProfile, type MockServer, startMockServer } from '@tiered/mock-server';
import { createRouter, type Router, TieredError } from '@tiered/sdk';
import { mulberry32 } from './mulberry32.js';

interface Args {
  calls: number;
  concurrency: number;
  seed: number;
  timeScale: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { calls: 20_000, concurrency: 64, seed: 1, timeScale: 0.1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    const key = (
      {
        '--calls': 'calls',
        '--concurrency': 'concurrency',
        '--seed': 'seed',
        '--time-scale': 'timeScale',
      } as const
    )[flag as string];
    if (!key || !Number.isFinite(value) || value <= 0) {
      console.error(
        `chaos-soak: bad argument ${flag} ${argv[i + 1] ?? ''} (flags: --calls N --concurrency N --seed N --time-scale X)`,
      );
      process.exit(2);
    }
    args[key] = value;
    i++;
  }
  return args;
}

// Faults on every edge; the storm and flap timers push some of them much higher for a while.
const edgeFaults = {
  errorRate: 0.04,
  errorStatus: 503,
  rateLimitRate: 0.04,
  retryAfterS: 0,
  hangRate: 0.02,
  disconnectRate: 0.03,
  stallRate: 0.03,
  stallMs: 4_000,
  malformedRate: 0.03,
};

function edge(id: string): EndpointProfile {
  return {
    id,
    model: 'edge-model',
    contextWindow: 8192,
    rttMs: 5,
    ttftMs: 30,
    decodeTokensPerSec: 800,
    maxConcurrency: 16,
    jitter: 0.2,
  };
}

const profiles: EndpointProfile[] = [
  edge('edge-1'),
  edge('edge-2'),
  edge('edge-3'),
  {
    id: 'origin',
    model: 'origin-model',
    contextWindow: 128_000,
    rttMs: 20,
    ttftMs: 80,
    decodeTokensPerSec: 400,
    jitter: 0.1,
  },
];

export interface SoakResult {
  readonly calls: number;
  readonly streams: number;
  readonly answered: number;
  readonly errorsByCode: Record<string, number>;
  readonly untyped: number;
  readonly wrongAnswers: string[];
  readonly lateCalls: number;
  readonly lost: number;
  readonly attemptStarts: number;
  readonly hedges: number;
  readonly mockReceived: number;
  readonly duplicates: number;
  readonly unaccounted: number;
  /** `attempt:start` events with neither `attempt:end` nor `attempt:error` for them. */
  readonly orphanAttempts: number;
  readonly unhandledRejections: number;
  readonly heapStartMb: number;
  readonly heapEndMb: number;
  readonly activeAfterClose: string[];
  readonly seconds: number;
  readonly faults: Record<string, number>;
  readonly loopDelayMs: { p50: number; p99: number; max: number };
}

const gc: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

function heapMb(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1e6;
}

export async function chaosSoak(args: Args): Promise<SoakResult> {
  const baseline = new Set(process.getActiveResourcesInfo());
  let unhandledRejections = 0;
  const onUnhandled = (reason: unknown) => {
    unhandledRejections++;
    if (unhandledRejections <= 5) console.error('unhandled rejection:', reason);
  };
  process.on('unhandledRejection', onUnhandled);

  const totalMs = 4_000;
  const mock: MockServer = await startMockServer({
    seed: args.seed,
    timeScale: args.timeScale,
    endpoints: profiles,
  });
  const router: Router = createRouter({
    endpoints: profiles.map((p) => ({
      id: p.id,
      tier: p.id === 'origin' ? 'origin' : 'edge',
      baseURL: mock.endpoint(p.id).baseURL,
      model: p.model,
      contextWindow: p.contextWindow,
      maxConcurrency: p.id === 'origin' ? undefined : 12,
    })),
    probes: { intervalMs: 100, timeoutMs: 200 },
    timeouts: { firstTokenFloorMs: 500, stallMs: 250, totalMs },
    retry: { minDelayMs: 5, maxDelayMs: 50 },
    health: { cooldownMs: 100, maxCooldownMs: 1_000 },
    hedge: { delayMs: 60, maxExtraLoad: 0.05 },
    random: mulberry32(args.seed + 1),
  });

  // Per request id: attempts the router started and ended, and those that may never have reached
  // a server (refused or cut connection, aborted or timed out before the request arrived).
  const starts = new Map<string, number>();
  const settledAttempts = new Map<string, number>();
  const mayMissServer = new Map<string, number>();
  let hedges = 0;
  const bump = (m: Map<string, number>, id: string) => m.set(id, (m.get(id) ?? 0) + 1);
  router.on('attempt:start', (e) => bump(starts, e.requestId));
  router.on('attempt:end', (e) => bump(settledAttempts, e.requestId));
  router.on('hedge:start', () => hedges++);
  router.on('attempt:error', (e) => {
    bump(settledAttempts, e.requestId);
    if (e.failure === 'connection' || e.failure === 'aborted' || e.failure === 'timeout') {
      bump(mayMissServer, e.requestId);
    }
  });

  // Warm-up without faults: a cold process (JIT, first connections) is slow enough on a small
  // machine to time out healthy endpoints, which would measure the machine, not the router.
  await Promise.all(
    Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; i < 10; i++) {
        const messages = [{ role: 'user' as const, content: `warm-up ${w}.${i}` }];
        if (i % 2 === 1) {
          await router.chat.completions.create({ messages, max_tokens: 8 });
          continue;
        }
        const stream = await router.chat.completions.create({
          messages,
          max_tokens: 8,
          stream: true,
        });
        for await (const _chunk of stream) {
        }
      }
    }),
  );
  for (const id of ['edge-1', 'edge-2', 'edge-3']) {
    await mock.endpoint(id).control({ faults: edgeFaults });
  }

  // Timers: edge-3 flaps down/up; edge-2 gets 429 storms.
  let flapDown = false;
  const flap = setInterval(() => {
    flapDown = !flapDown;
    mock
      .endpoint('edge-3')
      .control({ down: flapDown })
      .catch(() => {});
  }, 150);
  let storm = false;
  const storms = setInterval(() => {
    storm = !storm;
    mock
      .endpoint('edge-2')
      .control({ faults: { rateLimitRate: storm ? 0.8 : 0.04 } })
      .catch(() => {});
  }, 400);

  const heapStartMb = heapMb();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  // Seeded: two runs with one seed ask the same things.
  const random = mulberry32(args.seed);
  const started = performance.now();
  const errorsByCode: Record<string, number> = {};
  const wrongAnswers: string[] = [];
  let answered = 0;
  let untyped = 0;
  let late = 0;
  let streams = 0;
  let begun = 0;
  let settled = 0;
  let next = 0;

  const oneCall = async (i: number) => {
    const stream = random() < 0.5;
    const maxTokens = 4 + Math.floor(random() * 24);
    const body = {
      messages: [{ role: 'user' as const, content: `call ${i}: ${'lorem ipsum '.repeat(i % 20)}` }],
      max_tokens: maxTokens,
    };
    begun++;
    if (stream) streams++;
    const t0 = performance.now();
    try {
      if (stream) {
        const s = await router.chat.completions.create({ ...body, stream: true });
        let text = '';
        let last: string | null | undefined;
        let chunks = 0;
        for await (const chunk of s) {
          chunks++;
          const choice = chunk.choices[0];
          text += choice?.delta?.content ?? '';
          if (choice) last = choice.finish_reason;
        }
        if (!last) wrongAnswers.push(`stream ${s.requestId}: ended without finish_reason`);
        else if (!text.startsWith(`${s.endpointId}:`))
          wrongAnswers.push(`stream ${s.requestId}: text from elsewhere than ${s.endpointId}`);
        else if (chunks < 2) wrongAnswers.push(`stream ${s.requestId}: ${chunks} chunks`);
      } else {
        const c = await router.chat.completions.create(body);
        const choice = c.choices[0];
        const content = choice?.message?.content ?? '';
        if (!choice?.finish_reason || typeof content !== 'string' || content === '')
          wrongAnswers.push(`completion ${c.id}: incomplete`);
        else if (!/^(edge-\d|origin):/.test(content))
          wrongAnswers.push(`completion ${c.id}: unexpected text`);
      }
      answered++;
    } catch (error) {
      if (TieredError.isInstance(error)) {
        errorsByCode[error.code] = (errorsByCode[error.code] ?? 0) + 1;
      } else {
        untyped++;
        if (untyped <= 5) console.error('untyped error:', error);
      }
    } finally {
      // Within its timeout, give or take an event loop busy with 64 calls.
      if (performance.now() - t0 > totalMs + 1_000) late++;
      settled++;
    }
  };

  const workers = Array.from({ length: args.concurrency }, async () => {
    while (next < args.calls) await oneCall(next++);
  });
  let progress: ReturnType<typeof setInterval> | undefined;
  if (process.stderr.isTTY) {
    progress = setInterval(() => process.stderr.write(`\r${settled}/${args.calls} calls`), 500);
  }
  // Lost calls never settle: a long outer watchdog turns them into a count, not a hang.
  const watchdogMs = Math.max(60_000, (args.calls / args.concurrency) * totalMs);
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(workers),
    new Promise((r) => {
      watchdog = setTimeout(r, watchdogMs);
    }),
  ]);
  clearTimeout(watchdog);
  if (progress) {
    clearInterval(progress);
    process.stderr.write('\n');
  }
  const seconds = (performance.now() - started) / 1000;
  loop.disable();
  const loopDelayMs = {
    p50: loop.percentile(50) / 1e6,
    p99: loop.percentile(99) / 1e6,
    max: loop.max / 1e6,
  };
  clearInterval(flap);
  clearInterval(storms);

  await router.close();
  // Stats are final once the mock has closed (every request settled).
  await mock.close();
  const perEndpoint = mock.endpoints.map((e) => e.stats());

  // Requests the mock saw, by id (router request ids carry the router's prefix).
  const received = new Map<string, number>();
  const faults: Record<string, number> = {};
  for (const s of perEndpoint) {
    for (const [id, n] of Object.entries(s.byRequestId))
      received.set(id, (received.get(id) ?? 0) + n);
    for (const [k, n] of Object.entries(s.faults)) faults[k] = (faults[k] ?? 0) + n;
  }
  let duplicates = 0;
  let unaccounted = 0;
  let orphanAttempts = 0;
  let attemptStarts = 0;
  let mockReceived = 0;
  for (const id of new Set([...starts.keys(), ...received.keys()])) {
    const s = starts.get(id) ?? 0;
    const r = received.get(id) ?? 0;
    attemptStarts += s;
    mockReceived += r;
    if (r > s) duplicates += r - s;
    // An attempt without attempt:end or attempt:error (see the report) never told us how it ended.
    const orphans = Math.max(0, s - (settledAttempts.get(id) ?? 0));
    orphanAttempts += orphans;
    const mayMiss = (mayMissServer.get(id) ?? 0) + orphans;
    if (s - r > mayMiss) unaccounted += s - r - mayMiss;
  }

  // Let sockets closed by mock.close() finish closing, then look at what is left.
  await new Promise((r) => setTimeout(r, 100));
  const heapEndMb = heapMb();
  const activeAfterClose = process
    .getActiveResourcesInfo()
    .filter((r) => !baseline.has(r) && r !== 'TTYWrap');
  process.off('unhandledRejection', onUnhandled);

  return {
    calls: begun,
    streams,
    answered,
    errorsByCode,
    untyped,
    wrongAnswers,
    lateCalls: late,
    lost: begun - settled,
    attemptStarts,
    hedges,
    mockReceived,
    duplicates,
    unaccounted,
    orphanAttempts,
    unhandledRejections,
    heapStartMb,
    heapEndMb,
    activeAfterClose,
    seconds,
    faults,
    loopDelayMs,
  };
}

function report(args: Args, r: SoakResult): boolean {
  const checks: Array<[string, boolean]> = [
    ['every call settled (lost = 0)', r.lost === 0],
    ['every error typed (TieredError)', r.untyped === 0],
    ['no wrong or incomplete answer', r.wrongAnswers.length === 0],
    ['every call settled within its timeout', r.lateCalls === 0],
    ['nothing sent twice (received ≤ attempt:start per id)', r.duplicates === 0],
    ['every attempt that missed the mock was refused, cut or aborted', r.unaccounted === 0],
    ['every attempt:start has an attempt:end or attempt:error', r.orphanAttempts === 0],
    ['no unhandled rejection', r.unhandledRejections === 0],
    ['no timer or socket left after close', r.activeAfterClose.length === 0],
    ['answered + errors = calls', r.answered + sum(r.errorsByCode) + r.untyped === r.calls],
  ];
  const rows: Array<[string, string]> = [
    ['calls (streams)', `${r.calls} (${r.streams})`],
    ['concurrency', String(args.concurrency)],
    ['seconds', r.seconds.toFixed(1)],
    ['calls/s', (r.calls / r.seconds).toFixed(0)],
    ['answered', String(r.answered)],
    ...Object.entries(r.errorsByCode)
      .sort()
      .map(([code, n]): [string, string] => [`error ${code}`, String(n)]),
    ['untyped errors', String(r.untyped)],
    ['wrong answers', String(r.wrongAnswers.length)],
    ['late calls', String(r.lateCalls)],
    ['lost calls', String(r.lost)],
    ['attempt:start events', String(r.attemptStarts)],
    ['hedges', String(r.hedges)],
    ['mock received', String(r.mockReceived)],
    ['attempts without end/error event', String(r.orphanAttempts)],
    ['duplicates', String(r.duplicates)],
    ['unaccounted attempts', String(r.unaccounted)],
    ['faults injected', JSON.stringify(r.faults)],
    ['unhandled rejections', String(r.unhandledRejections)],
    ['heap after gc, start → end', `${r.heapStartMb.toFixed(1)} → ${r.heapEndMb.toFixed(1)} MB`],
    ['active resources after close', r.activeAfterClose.join(', ') || 'none'],
    [
      'event loop delay p50 / p99 / max',
      `${r.loopDelayMs.p50.toFixed(0)} / ${r.loopDelayMs.p99.toFixed(0)} / ${r.loopDelayMs.max.toFixed(0)} ms`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(
    `\nChaos soak (seed ${args.seed}, timeScale ${args.timeScale}, gc ${gc ? 'on' : 'off'})`,
  );
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log('\nInvariants');
  for (const [name, ok] of checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${name}`);
  for (const w of r.wrongAnswers.slice(0, 10)) console.log(`  wrong: ${w}`);
  return checks.every(([, ok]) => ok);
}

function sum(o: Record<string, number>): number {
  return Object.values(o).reduce((a, b) => a + b, 0);
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const args = parseArgs(process.argv.slice(2));
  const result = await chaosSoak(args);
  const ok = report(args, result);
  process.exitCode = ok ? 0 : 1;
  // If anything still holds the event loop, say what, and stop: the process must exit by itself.
  setTimeout(() => {
    console.error(
      `FAIL process did not exit by itself: ${process.getActiveResourcesInfo().join(', ')}`,
    );
    process.exit(3);
  }, 5_000).unref();
}
