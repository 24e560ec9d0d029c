import { BudgetExceededError, type SessionStats, TieredError } from '@tiered/sdk';
import { edgeEndpoint, originEndpoint } from '../shared/example-endpoints.js';
import type { ExampleOptions } from '../shared/example-options.js';
import { withRouter } from '../shared/with-router.js';

/** What `session-budget` shows. */
export interface SessionBudgetResult {
  /** Calls the budget allowed, by the endpoint that answered them. */
  readonly answered: Readonly<Record<string, number>>;
  /** The call the budget refused before sending anything. */
  readonly refused: {
    readonly errorName: string;
    readonly code: string;
    readonly budgetUsd: number;
    readonly spentUsd: number;
    readonly worstCaseUsd: number;
  };
  /** Chat requests the origin received: 0, the refused call never left the process. */
  readonly originReceived: number;
  readonly session: SessionStats;
}

/**
 * A session with a budget: `router.session({ id, budgetUsd })`. Before each call the router prices
 * its worst case (prompt estimate + `max_tokens`) on the cheapest tier that fits it; a call the
 * rest of the budget cannot cover is refused with a `BudgetExceededError` and nothing is sent.
 * Cheap edge calls fit a one-cent budget by the hundred; one 12k-token call at origin prices does not.
 */
export async function run(options: ExampleOptions = {}): Promise<SessionBudgetResult> {
  const log = options.log ?? console.log;
  return withRouter([edgeEndpoint('edge-1'), originEndpoint()], options, async (router, mock) => {
    const session = router.session({ id: 'triage-agent', budgetUsd: 0.01 });
    let lastTier = '';
    router.on('request:end', (e) => {
      lastTier = e.tier;
    });
    log(`session "${session.id}" with budgetUsd: 0.01`);

    const bodies = [
      'Classify: "refund please"',
      'Classify: "where is my parcel"',
      'Classify: "love it"',
    ].map((content) => ({ messages: [{ role: 'user' as const, content }], max_tokens: 8 }));
    const settled = await session.batch(bodies, { concurrency: 3 });
    for (const r of settled) if (r.status === 'rejected') throw r.reason;
    const answered = session.stats().byEndpoint;
    log(
      `batch of 3 short calls → answered by ${JSON.stringify(answered)}; spent $${session.stats().costUsd.toFixed(6)}`,
    );

    try {
      await session.chat.completions.create({
        messages: [
          { role: 'user', content: `Summarize:\n${'Ticket history line. '.repeat(2_400)}` },
        ],
        max_tokens: 64,
      });
      throw new Error(`Expected the budget to refuse the call, but it was answered (${lastTier})`);
    } catch (error) {
      if (!TieredError.isInstance(error)) throw error;
      const b = error instanceof BudgetExceededError ? error : undefined;
      const refused = {
        errorName: error.name,
        code: error.code,
        budgetUsd: b?.budgetUsd ?? Number.NaN,
        spentUsd: b?.spentUsd ?? Number.NaN,
        worstCaseUsd: b?.worstCaseUsd ?? Number.NaN,
      };
      log(
        `12k-token call → ${error.name} (code ${error.code}): worst case $${refused.worstCaseUsd.toFixed(4)}, spent $${refused.spentUsd.toFixed(6)} of $${refused.budgetUsd}`,
      );
      const originReceived = mock.endpoint('origin').stats().received;
      log(`chat requests the origin received: ${originReceived} (nothing was sent)`);
      return { answered, refused, originReceived, session: session.stats() };
    }
  });
}
