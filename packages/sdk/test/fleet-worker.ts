/**
 * A router in a child process, driven over IPC by fleet-processes.test.ts: one process of a fleet
 * that shares state on Redis. It runs what it is told and reports every outcome and the events
 * the test asserts on.
 */
import {
  createRouter,
  type Router,
  type RouterOptions,
  routeOf,
  TieredError,
} from '../src/index.js';
import { redisStore } from '../src/redis.js';

export interface InitMessage {
  readonly type: 'init';
  readonly options: Omit<RouterOptions, 'store'>;
  readonly redis: {
    url: string;
    namespace: string;
    leaseMs: number;
    syncIntervalMs: number;
    timeoutMs: number;
  };
}

export interface RunMessage {
  readonly type: 'run';
  readonly id: number;
  readonly calls: number;
  readonly concurrency: number;
  /** Keep starting calls until this many ms passed (instead of `calls`). */
  readonly forMs?: number;
  readonly maxTokens?: number;
  readonly stream?: boolean;
  readonly route?: { tier?: string; endpoint?: string };
  readonly session?: { id: string; budgetUsd?: number };
  /** Stop at the first error. */
  readonly untilError?: boolean;
}

/** Streams that are started and never read to the end: they hold their slots. */
export interface HoldMessage {
  readonly type: 'hold';
  readonly id: number;
  readonly calls: number;
  readonly maxTokens: number;
}

export type WorkerMessage =
  | InitMessage
  | RunMessage
  | HoldMessage
  | { readonly type: 'stats'; readonly id: number }
  | { readonly type: 'close'; readonly id: number };

export interface CallOutcome {
  readonly ok: boolean;
  readonly code?: string;
  readonly endpointId?: string;
  readonly costUsd?: number;
  readonly ms: number;
}

const REPORTED = [
  'store:degraded',
  'store:restored',
  'endpoint:eject',
  'endpoint:restore',
  'attempt:start',
  'request:end',
] as const;

let router: Router | undefined;
const send = (message: unknown) => process.send?.(message);

process.on('message', async (message: WorkerMessage) => {
  try {
    await handle(message);
  } catch (error) {
    // Told to the test, which fails with it, instead of a reply that never comes.
    send({ type: 'reply', id: (message as { id?: number }).id, error: String(error) });
  }
});

async function handle(message: WorkerMessage): Promise<void> {
  switch (message.type) {
    case 'init': {
      router = createRouter({ ...message.options, store: redisStore(message.redis) });
      for (const name of REPORTED) {
        router.on(name, (payload) => send({ type: 'event', name, payload }));
      }
      send({ type: 'ready' });
      return;
    }
    case 'run':
      send({ type: 'reply', id: message.id, value: await run(message) });
      return;
    case 'hold':
      await hold(message);
      send({ type: 'reply', id: message.id, value: true });
      return;
    case 'stats':
      send({ type: 'reply', id: message.id, value: router?.stats() });
      return;
    case 'close':
      await router?.close();
      send({ type: 'reply', id: message.id, value: true });
      process.disconnect?.();
      return;
  }
}

async function run(m: RunMessage): Promise<CallOutcome[]> {
  const r = router as Router;
  const session = m.session ? r.session(m.session) : undefined;
  const create = session ? session.chat.completions.create : r.chat.completions.create;
  const outcomes: CallOutcome[] = [];
  const until = m.forMs === undefined ? undefined : Date.now() + m.forMs;
  let started = 0;
  let stop = false;
  const more = () => !stop && (until === undefined ? started < m.calls : Date.now() < until);
  const lane = async () => {
    while (more()) {
      const n = started++;
      const t0 = performance.now();
      const body = {
        messages: [{ role: 'user' as const, content: `call ${n} of ${process.pid}` }],
        max_tokens: m.maxTokens ?? 8,
      };
      const options = m.route ? { route: m.route } : undefined;
      try {
        if (m.stream) {
          const stream = await create({ ...body, stream: true }, options);
          for await (const _ of stream) {
            // read to the end
          }
          outcomes.push({ ok: true, ms: performance.now() - t0 });
        } else {
          const completion = await create(body, options);
          const endpointId = routeOf(completion)?.endpointId;
          outcomes.push({
            ok: true,
            ms: performance.now() - t0,
            ...(endpointId ? { endpointId } : {}),
          });
        }
      } catch (error) {
        outcomes.push({
          ok: false,
          code: TieredError.isInstance(error) ? error.code : String(error),
          ms: performance.now() - t0,
        });
        if (m.untilError) stop = true;
      }
    }
  };
  await Promise.all(Array.from({ length: m.concurrency }, lane));
  return outcomes;
}

async function hold(m: HoldMessage): Promise<void> {
  const r = router as Router;
  await Promise.all(
    Array.from({ length: m.calls }, async (_, i) => {
      const stream = await r.chat.completions.create({
        messages: [{ role: 'user', content: `held ${i}` }],
        max_tokens: m.maxTokens,
        stream: true,
      });
      // Take the first chunk and keep the stream open: its slot stays held.
      await stream[Symbol.asyncIterator]().next();
    }),
  );
}
