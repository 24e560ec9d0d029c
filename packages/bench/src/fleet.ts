/**
 * Shared state across processes: 4 processes × concurrency 32 against one 8-slot edge, with the
 * router's state on Redis and without (each process alone, or with the slots split 8 ÷ 4 by hand),
 * plus one process alone as the ceiling. For each: the most requests the edge had in flight (the
 * mock counts them), throughput and latency. Then what the slot acquire costs: a Redis round trip
 * per call, in µs, measured on an in-memory upstream so nothing else is in the number.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { redisServerInstalled, startRedisServer } from '@tiered/mock-server';
import { createRouter, type RouterOptions } from '@tiered/sdk';
import { redisStore } from '@tiered/sdk/redis';
import type { FleetBenchJob, FleetBenchReport } from './fleet-worker.js';
import { round, summarize } from './measure.js';
import { memoryFetch } from './memory-fetch.js';
import { startMockHost } from './mock-host.js';

export interface FleetRow {
  readonly setup: string;
  readonly processes: number;
  /** The edge's maxConcurrency as each process is told it. */
  readonly limitPerProcess: number;
  readonly maxInFlight: number;
  readonly callsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
  readonly degraded: boolean;
}

export interface FleetResult {
  readonly skipped?: string;
  readonly edgeSlots: number;
  readonly rows: FleetRow[];
  /** One store acquire + release round trip on Redis, sequential, µs. */
  readonly acquireReleaseUs?: number;
  /** 4 processes spending one session's budget (same id) until refused. */
  readonly budget?: {
    readonly budgetUsd: number;
    readonly spentUsd: number;
    readonly calls: number;
    readonly refused: number;
    /** Without the store: each process has the whole budget. */
    readonly aloneSpentUsd: number;
  };
  /** What a call with a fleet slot costs over one without, on an in-memory upstream, µs. */
  readonly perCallOverheadUs?: {
    readonly alone: number;
    readonly redis: number;
    readonly added: number;
  };
}

const SLOTS = 8;
const PROCESSES = 4;
const CONCURRENCY = 32;
const CALLS = 400;
const WORKER = fileURLToPath(new URL('./fleet-worker.ts', import.meta.url));

export async function fleetBench(): Promise<FleetResult> {
  const external = process.env.REDIS_URL;
  if (!external && !redisServerInstalled()) {
    return {
      skipped: 'no Redis (set REDIS_URL or install redis-server)',
      edgeSlots: SLOTS,
      rows: [],
    };
  }
  const redis = external ? undefined : await startRedisServer();
  const url = external ?? (redis?.url as string);
  // Each call holds its slot ~25 ms (20 ms to first token, 8 tokens): 8 slots serve ~320 calls/s.
  const mock = await startMockHost({
    seed: 1,
    endpoints: [
      {
        id: 'edge',
        model: 'edge-model',
        contextWindow: 8_192,
        rttMs: 1,
        ttftMs: 20,
        decodeTokensPerSec: 2_000,
        outputTokens: 8,
        maxConcurrency: 1_000,
        jitter: 0,
      },
    ],
  });
  try {
    const endpoint = (limit: number): RouterOptions => ({
      probes: false,
      endpoints: [
        {
          id: 'edge',
          tier: 'edge',
          baseURL: mock.baseURL('edge'),
          model: 'edge-model',
          contextWindow: 8_192,
          maxConcurrency: limit,
        },
      ],
    });
    const setups: Array<[string, number, number, string]> = [
      ['Redis store (shared slots)', PROCESSES, SLOTS, url],
      ['no store: each process alone', PROCESSES, SLOTS, ''],
      ['no store: slots split by hand (8 ÷ 4)', PROCESSES, SLOTS / PROCESSES, ''],
      ['one process (the ceiling)', 1, SLOTS, ''],
    ];
    // Two rounds, the second in reverse order; each setup keeps its better round (a loaded
    // machine's noise only ever slows a run down).
    const best = new Map<string, FleetRow>();
    for (const order of [setups, [...setups].reverse()]) {
      for (const [setup, processes, limit, redisUrl] of order) {
        await mock.control('edge', { reset: true });
        const reports = await runFleet(processes, {
          router: endpoint(limit),
          redisUrl,
          namespace: `bench-fleet-${Date.now().toString(36)}`,
          calls: (CALLS * PROCESSES) / processes,
          concurrency: (CONCURRENCY * PROCESSES) / processes,
        });
        const stats = await mock.stats('edge');
        const latencies = reports.flatMap((r) => r.latenciesMs);
        const wallMs = Math.max(...reports.map((r) => r.wallMs));
        const s = summarize(latencies);
        const row: FleetRow = {
          setup,
          processes,
          limitPerProcess: limit,
          maxInFlight: Math.max(stats.maxInFlight, best.get(setup)?.maxInFlight ?? 0),
          callsPerSec: round((latencies.length / wallMs) * 1000, 0),
          p50Ms: round(s.p50, 1),
          p99Ms: round(s.p99, 1),
          failed: reports.reduce((n, r) => n + r.failed, 0) + (best.get(setup)?.failed ?? 0),
          degraded: reports.some((r) => r.degraded) || (best.get(setup)?.degraded ?? false),
        };
        const previous = best.get(setup);
        best.set(
          setup,
          previous && previous.callsPerSec >= row.callsPerSec
            ? {
                ...previous,
                maxInFlight: row.maxInFlight,
                failed: row.failed,
                degraded: row.degraded,
              }
            : row,
        );
      }
    }
    const rows = setups.map(([setup]) => best.get(setup) as FleetRow);
    // One session budget across the processes: ~90 of the 400 calls they would make (~$0.0028 each).
    const base = endpoint(SLOTS);
    const price = { inputPerMTok: 100, outputPerMTok: 100 };
    const priced: RouterOptions = {
      ...base,
      endpoints: base.endpoints.map((e) => ({ ...e, price })),
    };
    const budgetUsd = 0.25;
    const spend = async (redisUrl: string) => {
      const reports = await runFleet(PROCESSES, {
        router: priced,
        redisUrl,
        namespace: `bench-budget-${Date.now().toString(36)}`,
        calls: 100,
        concurrency: 8,
        budgetUsd,
      });
      return {
        spentUsd: reports.reduce((sum, r) => sum + r.spentUsd, 0),
        calls: reports.reduce((n, r) => n + r.latenciesMs.length, 0),
        refused: reports.reduce((n, r) => n + r.refused, 0),
      };
    };
    const shared = await spend(url);
    const alone = await spend('');
    const budget = {
      budgetUsd,
      spentUsd: round(shared.spentUsd, 6),
      calls: shared.calls,
      refused: shared.refused,
      aloneSpentUsd: round(alone.spentUsd, 6),
    };
    return { edgeSlots: SLOTS, rows, budget, ...(await acquireCost(url)) };
  } finally {
    await mock.close();
    await redis?.stop();
  }
}

async function runFleet(processes: number, job: FleetBenchJob): Promise<FleetBenchReport[]> {
  const workers = await Promise.all(Array.from({ length: processes }, () => startWorker(job)));
  return Promise.all(workers.map((go) => go()));
}

function startWorker(job: FleetBenchJob): Promise<() => Promise<FleetBenchReport>> {
  return new Promise((ready, reject) => {
    const child = fork(WORKER, [], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: FleetBenchReport | undefined;
    const done = new Promise<FleetBenchReport>((resolve, fail) => {
      child.once('close', (code) =>
        report ? resolve(report) : fail(new Error(`fleet worker exited with ${code}`)),
      );
    });
    done.catch(reject);
    child.on('message', (m: FleetBenchReport | 'ready') => {
      if (m !== 'ready') report = m;
      else
        ready(() => {
          child.send('go');
          return done;
        });
    });
    child.once('error', reject);
    child.send(job);
  });
}

// The slot acquire in isolation: the store's round trip, then a whole call with and without it
// (sequential calls on an in-memory upstream: the difference is the router's extra work).
async function acquireCost(
  url: string,
): Promise<Pick<FleetResult, 'acquireReleaseUs' | 'perCallOverheadUs'>> {
  const store = redisStore({ url, namespace: `bench-acquire-${Date.now().toString(36)}` });
  store.attach();
  const n = 2_000;
  for (let i = 0; i < 200; i++) {
    await store.acquire('k', 8, [`w${i}`], 10_000);
    await store.release('k', `w${i}`, 8);
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await store.acquire('k', 8, [`t${i}`], 10_000);
    await store.release('k', `t${i}`, 8);
  }
  const acquireReleaseUs = round(((performance.now() - t0) * 1000) / n, 1);
  await store.detach();

  const perCall = async (withStore: boolean) => {
    const router = createRouter({
      probes: false,
      fetch: memoryFetch(20),
      ...(withStore
        ? { store: redisStore({ url, namespace: `bench-call-${Date.now().toString(36)}` }) }
        : {}),
      endpoints: [
        {
          id: 'edge',
          tier: 'edge',
          baseURL: 'http://memory.invalid/v1',
          model: 'm',
          contextWindow: 8_192,
          maxConcurrency: 8,
        },
      ],
    });
    const call = () =>
      router.chat.completions.create({
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 4,
      });
    for (let i = 0; i < 500; i++) await call();
    const best: number[] = [];
    for (let r = 0; r < 5; r++) {
      const start = performance.now();
      for (let i = 0; i < 1_000; i++) await call();
      best.push(((performance.now() - start) * 1000) / 1_000);
    }
    await router.close();
    return Math.min(...best);
  };
  const alone = await perCall(false);
  const redis = await perCall(true);
  return {
    acquireReleaseUs,
    perCallOverheadUs: {
      alone: round(alone, 1),
      redis: round(redis, 1),
      added: round(redis - alone, 1),
    },
  };
}
