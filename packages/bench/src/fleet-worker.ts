/**
 * One process of the fleet benchmark: a router (on Redis, or alone) that runs `calls` calls at
 * `concurrency` when told `go`, and reports each call's latency. The parent starts all workers,
 * waits until each is `ready`, then says `go` to all at once.
 */
import { BudgetExceededError, createRouter, type Router, type RouterOptions } from '@tiered/sdk';
import { redisStore } from '@tiered/sdk/redis';

export interface FleetBenchJob {
  readonly router: Omit<RouterOptions, 'store'>;
  /** Empty: no store. */
  readonly redisUrl: string;
  readonly namespace: string;
  readonly calls: number;
  readonly concurrency: number;
  /** Run the calls in one session with this budget (same id in every process), until refused. */
  readonly budgetUsd?: number;
}

export interface FleetBenchReport {
  /** Per answered call, ms. */
  readonly latenciesMs: number[];
  readonly failed: number;
  /** Calls refused by the session budget. */
  readonly refused: number;
  /** What this process's calls cost (the session's spend, this process's part). */
  readonly spentUsd: number;
  readonly wallMs: number;
  readonly degraded: boolean;
}

let job: FleetBenchJob | undefined;
let router: Router | undefined;
process.on('message', async (message: FleetBenchJob | 'go') => {
  if (message !== 'go') {
    job = message;
    router = createRouter({
      ...job.router,
      ...(job.redisUrl
        ? { store: redisStore({ url: job.redisUrl, namespace: job.namespace, timeoutMs: 1_000 }) }
        : {}),
    });
    // One call first: the connection to Redis is up and the code is warm before the clock runs.
    await router.chat.completions.create(body(-1));
    process.send?.('ready');
    return;
  }
  if (!job || !router) return;
  const report = await run(job, router);
  await router.close();
  process.send?.(report, () => process.disconnect());
});

function body(n: number) {
  return { messages: [{ role: 'user' as const, content: `fleet call ${n}` }], max_tokens: 8 };
}

async function run(job: FleetBenchJob, router: Router): Promise<FleetBenchReport> {
  const latenciesMs: number[] = [];
  let failed = 0;
  let refused = 0;
  let next = 0;
  const session =
    job.budgetUsd === undefined
      ? undefined
      : router.session({ id: 'bench-budget', budgetUsd: job.budgetUsd });
  const create = session ? session.chat.completions.create : router.chat.completions.create;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (next < job.calls) {
        const n = next++;
        const started = performance.now();
        try {
          await create(body(n));
          latenciesMs.push(performance.now() - started);
        } catch (error) {
          if (error instanceof BudgetExceededError) {
            refused++;
            return; // this lane is done: the session's budget is spent
          }
          failed++;
        }
      }
    }),
  );
  return {
    latenciesMs,
    failed,
    refused,
    spentUsd: session?.stats().costUsd ?? 0,
    wallMs: performance.now() - t0,
    degraded: (router.stats().store?.degradedCount ?? 0) > 0,
  };
}
