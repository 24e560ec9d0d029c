import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type EndpointProfile,
  type MockServer,
  type RedisServer,
  startMockServer,
  startRedisServer,
} from '@tiered/mock-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RouterOptions } from '../src/index.js';
import type { CallOutcome } from './fleet-worker.js';
import { hasRedisServer, redisAvailable, redisForTests, uniqueNamespace } from './redis-server.js';
import { edgeProfile, labOptions, originProfile } from './two-tier.js';

// A fleet of real processes — each a router in a child process — sharing state on a real Redis,
// against the real mock server. The limits are checked where they matter: at the mock, which
// counts what actually arrived.

const WORKER = fileURLToPath(new URL('./fleet-worker.ts', import.meta.url));
const LEASE_MS = 1_000;

interface Worker {
  readonly pid: number;
  readonly events: Array<{ name: string; payload: Record<string, unknown> }>;
  request<T>(message: Record<string, unknown>): Promise<T>;
  run(message: Record<string, unknown>): Promise<CallOutcome[]>;
  kill(): Promise<void>;
  close(): Promise<void>;
}

let redis: { url: string; stop(): Promise<void> } | undefined;
let mock: MockServer | undefined;
const workers: Worker[] = [];
const servers: RedisServer[] = [];

beforeAll(async () => {
  if (redisAvailable) redis = await redisForTests();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async (context) => {
  const stopped = workers.splice(0);
  try {
    await Promise.all(stopped.map((w) => w.close()));
    await mock?.close();
  } finally {
    mock = undefined;
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  }
  // Outside the outage test, the store never went away: a degraded fleet would prove nothing.
  if (!context.task.name.startsWith('Redis down')) {
    const degraded = stopped.flatMap((w) => eventsNamed(w, 'store:degraded'));
    expect(degraded.map((e) => e.payload.reason)).toEqual([]);
  }
});

async function startWorkers(
  n: number,
  profiles: EndpointProfile[],
  options: Partial<RouterOptions>,
  endpoint: (id: string) => Partial<RouterOptions['endpoints'][number]>,
  redisUrl = redis?.url as string,
): Promise<Worker[]> {
  mock ??= await startMockServer({ seed: 11, timeScale: 1, endpoints: profiles });
  const namespace = uniqueNamespace('procs');
  // A loaded machine answers slowly: no first-token timeout may turn that into a retry here.
  const routerOptions = labOptions(
    mock,
    profiles,
    { timeouts: { firstTokenFloorMs: 5_000, stallMs: 5_000, totalMs: 20_000 }, ...options },
    endpoint,
  );
  const started = await Promise.all(
    Array.from({ length: n }, () =>
      spawnWorker(routerOptions, {
        url: redisUrl,
        namespace,
        leaseMs: LEASE_MS,
        syncIntervalMs: 50,
        // Generous for a loaded test machine: a slow answer must not pass for an outage here.
        timeoutMs: 1_000,
      }),
    ),
  );
  workers.push(...started);
  return started;
}

function spawnWorker(
  options: RouterOptions,
  redisOptions: {
    url: string;
    namespace: string;
    leaseMs: number;
    syncIntervalMs: number;
    timeoutMs: number;
  },
): Promise<Worker> {
  const child: ChildProcess = fork(WORKER, [], {
    // `--import tsx` resolves from the working directory: this package's, which has tsx.
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const events: Worker['events'] = [];
  const pending = new Map<number, [(value: unknown) => void, (error: Error) => void]>();
  let nextId = 0;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => {
    exited = true;
  });
  return new Promise<Worker>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (m: WorkerReply) => {
      if (m.type === 'ready') resolve(worker);
      else if (m.type === 'event') {
        events.push({ name: m.name as string, payload: m.payload as Record<string, unknown> });
      } else if (m.type === 'reply') {
        const [res, rej] = pending.get(m.id as number) ?? [];
        if (m.error !== undefined) rej?.(new Error(`worker ${child.pid}: ${m.error}`));
        else res?.(m.value);
      }
    });
    const request = <T>(message: Record<string, unknown>) =>
      new Promise<T>((res, rej) => {
        const id = nextId++;
        pending.set(id, [res as (value: unknown) => void, rej]);
        child.send({ ...message, id });
      });
    const worker: Worker = {
      pid: child.pid as number,
      events,
      request: request as Worker['request'],
      run: (message) => request<CallOutcome[]>({ type: 'run', ...message }),
      async kill() {
        if (exited) return;
        child.kill('SIGKILL');
        await exit;
      },
      async close() {
        if (exited) return;
        await Promise.race([request({ type: 'close' }), exit]);
        if (!exited) child.kill('SIGKILL');
        await exit;
      },
    };
    child.send({ type: 'init', options: withoutFunctions(options), redis: redisOptions });
  });
}

interface WorkerReply {
  readonly type: string;
  readonly id?: number;
  readonly value?: unknown;
  readonly error?: string;
  readonly name?: string;
  readonly payload?: unknown;
}

// Options cross the IPC channel as JSON.
function withoutFunctions(options: RouterOptions): RouterOptions {
  return JSON.parse(JSON.stringify(options)) as RouterOptions;
}

const until = async (check: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const eventsNamed = (w: Worker, name: string) => w.events.filter((e) => e.name === name);

// Child processes start slowly on a loaded machine (tsx compiles each): generous timeouts.
describe.runIf(redisAvailable)('a fleet of processes on Redis', { timeout: 60_000 }, () => {
  it("4 processes never exceed an endpoint's slots, and lose or repeat no call", async () => {
    const profiles = [edgeProfile('edge-1', { ttftMs: 15, maxConcurrency: 1_000 })];
    const fleet = await startWorkers(4, profiles, {}, () => ({ maxConcurrency: 4 }));
    const outcomes = (
      await Promise.all(fleet.map((w) => w.run({ calls: 16, concurrency: 8 })))
    ).flat();
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    const stats = (mock as MockServer).endpoint('edge-1').stats();
    expect(stats.maxInFlight).toBe(4);
    expect(stats.received).toBe(64);
    expect(stats.completed).toBe(64);
    expect(Object.values(stats.byRequestId).every((n) => n === 1)).toBe(true);
  });

  it("a killed process's slots come back within the lease", async () => {
    const profiles = [edgeProfile('edge-1', { decodeTokensPerSec: 50, maxConcurrency: 1_000 })];
    const [victim, survivor] = await startWorkers(2, profiles, {}, () => ({ maxConcurrency: 2 }));
    // The victim holds both slots with long streams, then dies without releasing them.
    await (victim as Worker).request({ type: 'hold', calls: 2, maxTokens: 1_500 });
    expect((mock as MockServer).endpoint('edge-1').stats().inFlight).toBe(2);
    await (victim as Worker).kill();
    const [outcome] = await (survivor as Worker).run({ calls: 1, concurrency: 1 });
    expect(outcome?.ok).toBe(true);
    // It waited for the dead leases to lapse (≤ 1 s), not for a timeout (10 s).
    expect(outcome?.ms).toBeLessThan(LEASE_MS + 1_500);
  });

  it('after an ejection one process sends the half-open trial, fleet-wide', async () => {
    const profiles = [edgeProfile('edge-1'), originProfile()];
    const fleet = await startWorkers(
      4,
      profiles,
      { health: { ejectAfterFailures: 1, cooldownMs: 600, maxCooldownMs: 60_000 } },
      () => ({}),
    );
    const edge = (mock as MockServer).endpoint('edge-1');
    await edge.control({ faults: { errorRate: 1, errorStatus: 503 } });
    // One call: it fails on the edge (ejecting it) and fails over to the origin.
    await (fleet[0] as Worker).run({ calls: 1, concurrency: 1 });
    await until(() => fleet.every((w) => eventsNamed(w, 'endpoint:eject').length >= 1));
    const before = edge.stats().received;
    // ~1 s of traffic from every process: the cool-down ends once (600 ms); the failed trial
    // doubles it (next at 1.8 s).
    const outcomes = (
      await Promise.all(fleet.map((w) => w.run({ forMs: 1_000, calls: 0, concurrency: 3 })))
    ).flat();
    expect(outcomes.length).toBeGreaterThan(8);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(edge.stats().received - before).toBe(1);
  });

  it('a session used by 4 processes spends at most its budget', async () => {
    const profiles = [edgeProfile('edge-1')];
    const fleet = await startWorkers(4, profiles, {}, () => ({
      price: { inputPerMTok: 1_000, outputPerMTok: 1_000 },
    }));
    const budgetUsd = 0.5;
    const outcomes = await Promise.all(
      fleet.map((w) =>
        w.run({
          calls: 200,
          concurrency: 2,
          maxTokens: 16,
          untilError: true,
          session: { id: 'one-budget', budgetUsd },
        }),
      ),
    );
    const spent = fleet
      .flatMap((w) => eventsNamed(w, 'request:end'))
      .reduce((sum, e) => sum + (e.payload.costUsd as number), 0);
    expect(outcomes.every((o) => o.some((c) => c.code === 'budget_exceeded'))).toBe(true);
    expect(spent).toBeLessThanOrEqual(budgetUsd);
    expect(spent).toBeGreaterThan(0.8 * budgetUsd);
  });

  it('a session keeps its endpoint across processes', async () => {
    const profiles = [edgeProfile('edge-1'), edgeProfile('edge-2'), edgeProfile('edge-3')];
    const [a, b] = await startWorkers(2, profiles, {}, () => ({}));
    const targets = ['edge-3', 'edge-1', 'edge-2', 'edge-3'];
    for (const [i, target] of targets.entries()) {
      await (a as Worker).run({
        calls: 1,
        concurrency: 1,
        route: { endpoint: target },
        session: { id: `s${i}` },
      });
    }
    const served: string[] = [];
    for (const i of targets.keys()) {
      const [o] = await (b as Worker).run({ calls: 1, concurrency: 1, session: { id: `s${i}` } });
      served.push(o?.endpointId as string);
    }
    expect(served).toEqual(targets);
  });

  it.runIf(hasRedisServer)(
    'Redis down: calls keep flowing on local state; when it returns, state is shared again',
    async () => {
      const own = await startRedisServer();
      servers.push(own);
      const profiles = [edgeProfile('edge-1', { ttftMs: 10, maxConcurrency: 1_000 })];
      const fleet = await startWorkers(2, profiles, {}, () => ({ maxConcurrency: 4 }), own.url);
      const edge = (mock as MockServer).endpoint('edge-1');
      const running = Promise.all(
        fleet.map((w) => w.run({ forMs: 2_000, calls: 0, concurrency: 4 })),
      );
      await new Promise((r) => setTimeout(r, 300));
      await own.kill();
      await until(() => fleet.every((w) => eventsNamed(w, 'store:degraded').length === 1));
      // Calls that held shared slots when Redis died finish; from then on each process keeps to
      // its fair share (4 slots ÷ 2 processes).
      await new Promise((r) => setTimeout(r, 200));
      const receivedBefore = edge.stats().received;
      await edge.control({ reset: true });
      await new Promise((r) => setTimeout(r, 400));
      const degradedMax = edge.stats().maxInFlight;
      const receivedDegraded = edge.stats().received;
      await own.restart();
      const outcomes = (await running).flat();
      await until(() => fleet.every((w) => eventsNamed(w, 'store:restored').length === 1));
      expect(outcomes.length).toBeGreaterThan(4);
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      expect(receivedDegraded).toBeGreaterThan(0); // calls did flow while Redis was down
      expect(degradedMax).toBeLessThanOrEqual(4);
      // Nothing lost, nothing sent twice.
      expect(receivedBefore + edge.stats().received).toBe(outcomes.length);
      // After the restore the slots are fleet-wide again.
      expect(fleet.every((w) => eventsNamed(w, 'store:restored')[0]?.payload.downMs)).toBeTruthy();
    },
  );
});
