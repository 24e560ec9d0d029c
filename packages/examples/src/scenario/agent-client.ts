import type { ChatCompletions, Router, RouterChatParamsNonStreaming } from '@tiered/sdk';
import type { ChatCompletion } from 'openai/resources/chat/completions';

/**
 * What the research agent needs from the router for one task: the drop-in client, and a fan-out
 * that runs many calls with bounded concurrency and settles them in input order. This is exactly
 * the shape of a `router.session(...)`, so switching to sessions changes only
 * {@link createAgentClient}.
 */
export interface AgentClient {
  readonly chat: { readonly completions: ChatCompletions };
  batch(
    bodies: readonly RouterChatParamsNonStreaming[],
    options?: { concurrency?: number | undefined },
  ): Promise<PromiseSettledResult<ChatCompletion>[]>;
}

/**
 * The client for one task of the agent.
 *
 * Today: the router's drop-in client plus a local bounded fan-out, because `router.session` is not
 * in the SDK yet. With sessions this becomes `return router.session({ id, budgetUsd })`, and the
 * task's calls then share prefix-cache affinity and a budget.
 */
export function createAgentClient(
  router: Router,
  _session: { readonly id: string; readonly budgetUsd?: number | undefined },
): AgentClient {
  return {
    chat: router.chat,
    batch: (bodies, options) =>
      settleBounded(
        bodies.map((body) => () => router.chat.completions.create(body)),
        options?.concurrency ?? bodies.length,
      ),
  };
}

/** Runs tasks at most `concurrency` at a time; results settled, in input order. */
async function settleBounded<T>(
  tasks: readonly (() => Promise<T>)[],
  concurrency: number,
): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await (tasks[i] as () => Promise<T>)() };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, tasks.length)) }, worker),
  );
  return results;
}
