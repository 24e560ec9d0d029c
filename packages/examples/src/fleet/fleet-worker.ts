/**
 * One agent process of the `fleet` example: a router on the shared Redis store (or alone), running
 * the calls of one session and reporting what happened to the parent. The parent sends the job,
 * waits until every process said `ready`, then says `go` to all at once, so they overlap.
 */
import {
  BudgetExceededError,
  createRouter,
  type Router,
  type RouterOptions,
  TieredError,
} from '@tiered/sdk';
import { redisStore } from '@tiered/sdk/redis';

/** What the parent sends. */
export interface FleetJob {
  readonly worker: number;
  readonly router: Omit<RouterOptions, 'store'>;
  /** Empty: no store, each process on its own state. */
  readonly redisUrl: string;
  readonly namespace: string;
  readonly sessionId: string;
  readonly budgetUsd: number;
  readonly calls: number;
  readonly concurrency: number;
}

/** What the worker reports back. */
export interface FleetReport {
  readonly worker: number;
  readonly pid: number;
  readonly byEndpoint: Readonly<Record<string, number>>;
  readonly refused: number;
  readonly failed: number;
  /** Failures other than refusals, by error code. */
  readonly errors: Readonly<Record<string, number>>;
  readonly spentUsd: number;
  /** Most routers this one saw on the store at once. */
  readonly members: number;
}

// A 'message' listener keeps the IPC channel, and so the process, alive until the report is sent.
let job: FleetJob | undefined;
let router: Router | undefined;
process.on('message', async (message: FleetJob | 'go') => {
  if (message !== 'go') {
    job = message;
    router = createRouter({
      ...job.router,
      ...(job.redisUrl
        ? {
            store: redisStore({
              url: job.redisUrl,
              namespace: job.namespace,
              syncIntervalMs: 100,
              // Four processes, the mock and tsx on one laptop: allow Redis a slow moment.
              timeoutMs: 1_000,
            }),
          }
        : {}),
    });
    process.send?.('ready');
    return;
  }
  if (!job || !router) return;
  const report = await runJob(job, router);
  await router.close();
  process.send?.(report, () => process.disconnect());
});

async function runJob(job: FleetJob, router: Router): Promise<FleetReport> {
  const session = router.session({ id: job.sessionId, budgetUsd: job.budgetUsd });
  let refused = 0;
  let failed = 0;
  let next = 0;
  let members = 1;
  const errors: Record<string, number> = {};
  const lane = async () => {
    while (next < job.calls) {
      const n = next++;
      try {
        await session.chat.completions.create({
          messages: [
            { role: 'system', content: 'You are one of four research sub-agents.' },
            { role: 'user', content: `Worker ${job.worker}, step ${n}: summarize finding ${n}.` },
          ],
          max_tokens: 24,
        });
      } catch (error) {
        if (error instanceof BudgetExceededError) refused++;
        else {
          failed++;
          const code = TieredError.isInstance(error) ? error.code : String(error);
          errors[code] = (errors[code] ?? 0) + 1;
        }
      }
      members = Math.max(members, router.stats().store?.members ?? 1);
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, lane));
  const stats = session.stats();
  return {
    worker: job.worker,
    pid: process.pid,
    byEndpoint: stats.byEndpoint,
    refused,
    failed,
    errors,
    spentUsd: stats.costUsd,
    members,
  };
}
