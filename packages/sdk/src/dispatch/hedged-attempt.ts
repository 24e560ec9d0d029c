import type { AttemptKind } from '../events.js';
import { HEDGE_LOST, linkAbort } from '../internal/abort.js';
import type { EndpointSignals } from '../signals/endpoint-signals.js';
import { AttemptFailure, TrialElsewhere } from './attempt-failure.js';
import type { AttemptOutcome, Call, Engine } from './engine.js';
import { trackedAttempt } from './tracked-attempt.js';

export interface HedgeSpec {
  readonly kind: AttemptKind;
  readonly primary: EndpointSignals;
  readonly secondary: EndpointSignals;
  readonly delayMs: number;
  /** Endpoints tried by this call; the secondary joins once its attempt starts. */
  readonly tried: Set<string>;
}

/**
 * An attempt with a delayed hedge ("The Tail at Scale"): if the primary has produced no first
 * token after `delayMs`, the same call goes to the secondary too — if the hedge budget allows — and
 * the first to produce a token wins; the other is aborted. A failure of one lane waits for the
 * other; a caller error or abort ends both. The winner stays linked to the call's signal until its
 * stream settles, so the caller's abort and the total timeout still reach it.
 */
export function hedgedAttempt(
  engine: Engine,
  call: Call,
  spec: HedgeSpec,
): Promise<AttemptOutcome> {
  const { config } = engine;
  const { primary, secondary } = spec;
  const lanes = [new AbortController(), new AbortController()] as const;
  const unlinks = lanes.map((lane) => linkAbort(call.signal, lane));

  return new Promise<AttemptOutcome>((resolve, reject) => {
    let settled = false;
    let running = 1;
    let lastFailure: unknown;
    let hedged = false;
    const startedAt = config.now();

    const end = (keepLane?: 0 | 1) => {
      settled = true;
      clearTimeout(timer);
      for (const lane of [0, 1] as const) if (lane !== keepLane) unlinks[lane]?.();
    };
    const onWin = (outcome: AttemptOutcome, lane: 0 | 1) => {
      running--;
      if (settled) {
        // Both produced a token in the same turn: drop the late one.
        if (outcome.kind === 'stream') outcome.stream.discard();
        unlinks[lane]?.();
        return;
      }
      const loser = lane === 0 ? 1 : 0;
      end(lane);
      if (outcome.kind === 'stream') void outcome.settled.then(() => unlinks[lane]?.());
      else unlinks[lane]?.();
      lanes[loser].abort(HEDGE_LOST);
      if (loser === 0) {
        // The primary produced nothing in all this time: a Peak-EWMA penalty, as for a timeout,
        // so the slow endpoint loses traffic (an aborted attempt would otherwise teach nothing).
        primary.penalty.observe(config.now() - startedAt, config.now());
      }
      resolve(outcome);
    };
    const onLoss = (error: unknown, lane: 0 | 1) => {
      running--;
      if (settled) return;
      const lostRace = lanes[lane].signal.reason === HEDGE_LOST;
      // Nothing was sent on this lane: another router of the fleet holds the endpoint's half-open
      // trial. Not a failure of the call — the other lane goes on (aborting it would throw away
      // an attempt under way and send the call again).
      const elsewhere = error instanceof TrialElsewhere;
      if (!lostRace && !elsewhere) lastFailure = error;
      const fatal =
        !elsewhere &&
        (!(error instanceof AttemptFailure) ||
          (!error.retryable && !lostRace) ||
          call.signal.aborted);
      // Wait for the other lane, unless nothing else is running or can start.
      if (fatal || (running === 0 && (hedged || lane === 1))) {
        end();
        lanes[lane === 0 ? 1 : 0].abort(HEDGE_LOST);
        reject(lastFailure ?? error);
        return;
      }
      if (running === 0 && !hedged) {
        // The primary failed before the hedge was due: no hedge; ordinary failover takes over.
        end();
        reject(error);
      }
    };
    const start = (s: EndpointSignals, lane: 0 | 1) => {
      trackedAttempt(engine, call, {
        s,
        kind: lane === 0 ? spec.kind : 'hedge',
        signal: lanes[lane].signal,
      }).then(
        (outcome) => onWin(outcome, lane),
        (error) => onLoss(error, lane),
      );
    };

    const timer = setTimeout(() => {
      if (settled) return;
      const now = config.now();
      // Extra load stays within maxExtraLoad of recent calls; a same-tier hedge is also a retry.
      // Both budgets are checked before either is drawn, so a hedge not sent costs nothing.
      const maxExtraLoad = call.hedge === false ? 0 : call.hedge.maxExtraLoad;
      const tierBudget =
        secondary.endpoint.tierIndex === primary.endpoint.tierIndex
          ? engine.budgets[secondary.endpoint.tierIndex]
          : undefined;
      if (engine.hedgeBudget.available(now, maxExtraLoad) < 1) return;
      if (tierBudget && tierBudget.available(now) < 1) return;
      engine.hedgeBudget.tryWithdraw(now, maxExtraLoad);
      tierBudget?.take(now);
      hedged = true;
      running++;
      spec.tried.add(secondary.endpoint.id);
      engine.emit('hedge:start', () => ({
        requestId: call.requestId,
        timestamp: Date.now(),
        endpointId: secondary.endpoint.id,
        primaryEndpointId: primary.endpoint.id,
        delayMs: spec.delayMs,
      }));
      start(secondary, 1);
    }, spec.delayMs);
    timer.unref?.();
    start(primary, 0);
  });
}
