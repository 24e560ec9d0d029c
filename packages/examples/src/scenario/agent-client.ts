import type { Router, Session } from '@tiered/sdk';

/**
 * What the research agent needs from the router for one task: the drop-in client, and a fan-out
 * that runs many calls with bounded concurrency and settles them in input order — a session.
 */
export type AgentClient = Pick<Session, 'chat' | 'batch'>;

/**
 * The client for one task of the agent: a `router.session`, so the task's calls share prefix-cache
 * affinity (sub-agents stay on the edge that has their system prompt cached while it is healthy and
 * not overloaded) and, when given, a budget.
 */
export function createAgentClient(
  router: Router,
  session: { readonly id: string; readonly budgetUsd?: number | undefined },
): AgentClient {
  return router.session(session);
}
