import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type MockServer, startMockServer } from '@tiered/mock-server';
import type { FleetJob, FleetReport } from '../fleet/fleet-worker.js';
import { localRedis } from '../fleet/local-redis.js';
import { edgeEndpoint, originEndpoint } from '../shared/example-endpoints.js';
import type { ExampleOptions } from '../shared/example-options.js';
import { formatTable } from '../shared/format-table.js';
import { scaledTimings } from '../shared/scaled-timings.js';
import { routerEndpoints } from '../shared/tier-endpoint.js';

/** One run of the fleet: what the edge saw and what the session spent. */
export interface FleetRun {
  readonly shared: boolean;
  /** Most requests the edge had in flight at once, as the edge (the mock) counted them. */
  readonly edgeMaxInFlight: number;
  readonly spentUsd: number;
  readonly refused: number;
  readonly failed: number;
  readonly reports: readonly FleetReport[];
}

/** What `fleet` shows. */
export interface FleetResult {
  /** The edge's `maxConcurrency`, for every process. */
  readonly limit: number;
  readonly budgetUsd: number;
  /** Each process with its own state (no store). */
  readonly alone: FleetRun;
  /** The same processes sharing state on Redis. */
  readonly shared: FleetRun;
}

const WORKERS = 4;
const LIMIT = 4;
const BUDGET_USD = 0.00015;
const WORKER = fileURLToPath(new URL('../fleet/fleet-worker.ts', import.meta.url));

/**
 * Four agent processes, one 4-slot edge, one session budget: first each process on its own state
 * (every process takes all 4 slots and the whole budget), then all sharing state on Redis with
 * `store: redisStore({ url })` — the edge never sees more than 4 requests at once and the session
 * spends at most its budget, fleet-wide. Needs Redis: `REDIS_URL`, or `redis-server` on the PATH
 * (started on a free port and stopped after).
 */
export async function run(options: ExampleOptions = {}): Promise<FleetResult> {
  const log = options.log ?? console.log;
  const timeScale = options.timeScale ?? 1;
  const redis = await localRedis();
  log(redis.started ? `started redis-server at ${redis.url}` : `using REDIS_URL ${redis.url}`);
  const endpoints = [edgeEndpoint('edge-1', { maxConcurrency: 64 }), originEndpoint()];
  const mock = await startMockServer({
    seed: 1,
    timeScale,
    endpoints: endpoints.map((e) => e.profile),
  });
  try {
    const router = {
      ...scaledTimings(timeScale),
      // The edge's slots: 4 for the whole fleet (its mock could take 64: it counts what arrives).
      endpoints: routerEndpoints(mock, endpoints).map((e) =>
        e.id === 'edge-1' ? { ...e, maxConcurrency: LIMIT } : e,
      ),
    };
    log(
      `${WORKERS} processes × 12 calls (8 at a time), one session with budgetUsd ${BUDGET_USD}, edge maxConcurrency ${LIMIT}\n`,
    );
    const alone = await runFleet(mock, router, redis.url, false);
    await mock.endpoint('edge-1').control({ reset: true });
    await mock.endpoint('origin').control({ reset: true });
    const shared = await runFleet(mock, router, redis.url, true);
    log(
      formatTable(
        [
          { header: '' },
          { header: 'edge max in flight', align: 'right' },
          { header: 'limit', align: 'right' },
          { header: 'session spent', align: 'right' },
          { header: 'budget', align: 'right' },
          { header: 'refused', align: 'right' },
        ],
        [alone, shared].map((r) => [
          r.shared ? 'shared on Redis' : 'each process alone',
          String(r.edgeMaxInFlight),
          String(LIMIT),
          `$${r.spentUsd.toFixed(6)}`,
          `$${BUDGET_USD.toFixed(6)}`,
          String(r.refused),
        ]),
      ),
    );
    log(
      `\nshared: ${shared.reports.map((r) => `pid ${r.pid} ${JSON.stringify(r.byEndpoint)}`).join(', ')}; each saw up to ${Math.min(...shared.reports.map((r) => r.members))} routers on the store`,
    );
    return { limit: LIMIT, budgetUsd: BUDGET_USD, alone, shared };
  } finally {
    await mock.close();
    await redis.stop();
  }
}

async function runFleet(
  mock: MockServer,
  router: FleetJob['router'],
  redisUrl: string,
  shared: boolean,
): Promise<FleetRun> {
  const namespace = `fleet-example-${process.pid}-${Date.now().toString(36)}`;
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, (_, worker) =>
      startWorker({
        worker,
        router,
        redisUrl: shared ? redisUrl : '',
        namespace,
        sessionId: 'research-run',
        budgetUsd: BUDGET_USD,
        calls: 12,
        concurrency: 8,
      }),
    ),
  );
  // All at once: the point is what they do to the edge together.
  const reports = await Promise.all(workers.map((go) => go()));
  return {
    shared,
    edgeMaxInFlight: mock.endpoint('edge-1').stats().maxInFlight,
    spentUsd: reports.reduce((sum, r) => sum + r.spentUsd, 0),
    refused: reports.reduce((sum, r) => sum + r.refused, 0),
    failed: reports.reduce((sum, r) => sum + r.failed, 0),
    reports,
  };
}

// One agent process: tsx runs the worker's TypeScript, as `pnpm example` runs this file. Resolves
// once its router is up, with the function that starts its calls and waits for its report.
function startWorker(job: FleetJob): Promise<() => Promise<FleetReport>> {
  return new Promise((ready, reject) => {
    const child = fork(WORKER, [], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: FleetReport | undefined;
    const done = new Promise<FleetReport>((resolve, fail) => {
      // 'close', not 'exit': the report may still be in the IPC channel when the process exits.
      child.once('close', (code) =>
        report
          ? resolve(report)
          : fail(new Error(`fleet worker ${job.worker} exited with ${code}`)),
      );
    });
    done.catch(reject);
    child.on('message', (m: FleetReport | 'ready') => {
      if (m === 'ready') {
        ready(() => {
          child.send('go');
          return done;
        });
      } else report = m;
    });
    child.once('error', reject);
    child.send(job);
  });
}
