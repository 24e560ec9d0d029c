import pRetry, { AbortError as StopRetrying } from 'p-retry';
import {
  AllAttemptsFailedError,
  NoEndpointError,
  StreamInterruptedError,
  TieredError,
  UpstreamError,
} from '../errors.js';
import type { AttemptKind } from '../events.js';
import { sleep } from '../internal/abort.js';
import { MAX_TIMER_MS } from '../internal/validate.js';
import {
  planRoute,
  type RouteInput,
  type RoutePlan,
  worstCaseCostUsd,
} from '../policy/plan-route.js';
import { recordRoute } from '../route-of.js';
import type { EndpointSignals } from '../signals/endpoint-signals.js';
import type { BudgetHold } from '../store/session-ledger.js';
import { CompletionAssembler } from './assemble-completion.js';
import { AttemptFailure, streamFailureClass, TrialElsewhere } from './attempt-failure.js';
import { emitRequestEnd, emitRouteSelect } from './emit-events.js';
import type { AttemptOutcome, Call, CallBudget, CallResult, Engine } from './engine.js';
import { hedgedAttempt } from './hedged-attempt.js';
import { trackedAttempt, upstreamMode } from './tracked-attempt.js';

export type { Call, CallResult, Engine } from './engine.js';

/** A round that ended without an answer; p-retry decides whether to back off and go again. */
class RoundFailed extends Error {
  constructor(
    readonly retryable: boolean,
    message: string,
  ) {
    super(message);
  }
}

type Completed = Extract<AttemptOutcome, { kind: 'completion' }>;

// Worst-case output when a budgeted call sets no max_tokens: a multiple of the typical answer.
const WORST_CASE_OUTPUT_FACTOR = 4;

/**
 * Runs one call to an answer or a typed error: plan, then attempts down the plan — failing over
 * at once to the next candidate on a retryable failure, hedging a slow first attempt when asked —
 * and, when every candidate has failed, backoff rounds (p-retry) that re-plan from fresh signals.
 * Attempts on a tier the call already failed on draw from that tier's retry budget; moving up a
 * tier is free. A plain call's answer is assembled from the upstream stream inside the attempt, so
 * an answer cut mid-way still fails over. An answer the call's escalation rejects re-runs the call
 * on the next tier.
 */
export async function execute(engine: Engine, call: Call): Promise<CallResult> {
  const { config } = engine;
  const facts = call.facts;
  let last: { s: EndpointSignals; failure: AttemptFailure } | undefined;
  // Tiers this call has failed on, as a bit mask: another attempt there is a retry.
  let failedTiers = 0;
  let budgetDenied = false;
  let deposited = false;
  let hedgeUsed = false;
  let minTier: number | undefined;
  let escalated = false;
  let rejected: Completed | undefined;
  let costUsd = 0;
  // The session budget this call holds for its worst case, while it runs.
  let hold: BudgetHold | undefined;
  const budget = call.budget;
  const expectedOutput = facts.maxOutputTokens ?? engine.typicalOutputTokens;

  const routeInput = (exclude: ReadonlySet<string> | undefined): RouteInput => ({
    promptChars: facts.promptChars,
    imageParts: facts.imageParts,
    outputTokens: expectedOutput,
    needs: facts.needs,
    pin: call.pin,
    exclude,
    deadlineMs: call.deadlineAt === undefined ? undefined : call.deadlineAt - config.now(),
    slack: call.slack,
    affinity: call.affinity,
    minTier,
    // Before its reservation a call may plan on what the budget has left; after it, only on what
    // it holds: an endpoint dearer than the reservation would spend money no reservation covers
    // (another call, or process, may take the rest meanwhile).
    maxCostUsd: budget ? (hold ? hold.usd : budget.available()) : undefined,
    worstCaseOutputTokens: facts.maxOutputTokens ?? expectedOutput * WORST_CASE_OUTPUT_FACTOR,
  });
  const plan = (exclude: ReadonlySet<string> | undefined): RoutePlan =>
    planRoute(routeInput(exclude), {
      endpoints: engine.signals,
      tierCount: config.tiers.length,
      contextMargin: config.estimate.contextMargin,
      imageTokens: config.estimate.imageTokens,
      now: config.now(),
      random: config.random,
    });
  // Books what an answer cost against the session budget and releases this call's reservation.
  const settleBudget = (spent: number) => {
    hold?.settle(spent);
    hold = undefined;
  };
  // Holds the worst case of the plan, so calls in flight together — in this process or, with a
  // shared store, in any — cannot overspend. Refused when the budget moved since the plan (another
  // call took it): re-plan on the fresher view, a few times, then give up. A budget of this
  // process answers at once, without an await, so the calls of a burst each see the load the
  // ones before them put on the endpoints; the store answers after a round trip, and the call
  // re-plans then, on the signals as they are now.
  const reserve = async (budget: CallBudget, p: RoutePlan): Promise<RoutePlan> => {
    for (let tries = 0; ; tries++) {
      const input = routeInput(undefined);
      let usd = 0;
      for (const s of p.order) {
        usd = Math.max(usd, worstCaseCostUsd(s, input, config.estimate.imageTokens));
      }
      try {
        const answer = budget.reserve(usd);
        if (answer instanceof Promise) {
          hold = await answer;
          if (hold) {
            const fresh = plan(undefined);
            return fresh.order.length > 0 ? fresh : p;
          }
        } else hold = answer;
      } catch (error) {
        throw new StopRetrying(asError(error)); // the store could not be asked: nothing sent
      }
      if (hold) return p;
      p = plan(undefined);
      if (p.order.length === 0) throw new StopRetrying(refusal(call, p));
      if (tries >= 2) throw new StopRetrying(budget.refuse(call.requestId, usd));
    }
  };

  const round = async (roundNumber: number): Promise<AttemptOutcome> => {
    const tried = new Set<string>();
    let p = plan(undefined);
    if (roundNumber === 1 && !escalated) emitRouteSelect(engine, call, p);
    if (p.order.length === 0) throw new StopRetrying(refusal(call, p));
    if (budget && !hold) p = await reserve(budget, p);
    let i = 0;
    while (i < p.order.length) {
      const s = p.order[i++] as EndpointSignals;
      const e = s.endpoint;
      if (tried.has(e.id)) continue;
      if (call.attempts.length >= config.retry.maxAttempts) break;
      if (failedTiers & (1 << e.tierIndex)) {
        // A tier this call already failed on: a retry, paid from the tier's budget.
        if (!(await engine.budgets[e.tierIndex]?.retry(config.now()))) {
          budgetDenied = true;
          continue;
        }
      }
      if (!deposited) {
        engine.budgets[e.tierIndex]?.deposit(config.now());
        engine.hedgeBudget.deposit(config.now());
        deposited = true;
      }
      const kind: AttemptKind =
        escalated && !last
          ? 'escalation'
          : !last
            ? 'primary'
            : i === 1 && roundNumber > 1
              ? 'retry'
              : 'failover';
      if (last && kind === 'failover') {
        const from = last;
        engine.emit('failover', () => ({
          requestId: call.requestId,
          timestamp: Date.now(),
          fromEndpointId: from.s.endpoint.id,
          fromTier: from.s.endpoint.tier,
          toEndpointId: e.id,
          toTier: e.tier,
          failure: from.failure.failure,
        }));
      }
      tried.add(e.id);
      try {
        const secondary = call.hedge && !hedgeUsed ? hedgeTarget(p.order, i, tried) : undefined;
        let outcome: AttemptOutcome;
        if (secondary && call.hedge) {
          hedgeUsed = true;
          const delayMs =
            call.hedge.delayMs ?? hedgeDelay(s, upstreamMode(engine, call, s).plainUpstream);
          outcome = await hedgedAttempt(engine, call, {
            kind,
            primary: s,
            secondary,
            delayMs: Math.min(MAX_TIMER_MS, delayMs),
            tried,
          });
        } else {
          outcome = await trackedAttempt(engine, call, { s, kind, signal: call.signal });
        }
        // A plain call: read the whole answer here, where a cut can still fail over.
        return facts.stream || outcome.kind === 'completion' ? outcome : await assemble(outcome);
      } catch (error) {
        // Another router of the fleet holds this endpoint's half-open trial: nothing was sent,
        // move on.
        if (error instanceof TrialElsewhere) continue;
        if (!(error instanceof AttemptFailure)) throw new StopRetrying(asError(error));
        if (error.failure === 'aborted') {
          throw new StopRetrying(call.abortError() ?? asError(error));
        }
        if (error.failure === 'client') {
          throw new StopRetrying(
            new UpstreamError(error.message, {
              status: error.status ?? 400,
              endpointId: e.id,
              type: error.type,
              upstreamCode: error.upstreamCode,
              param: error.param,
            }),
          );
        }
        last = { s, failure: error };
        if (error.failure !== 'context_length') failedTiers |= 1 << e.tierIndex;
        if (error.failure === 'context_length') {
          // The estimate was short for this tokenizer: learn, and re-plan what still fits. The
          // endpoint's bound covers the count at once, so the same prompt is not sent there again.
          const images = facts.imageParts * config.estimate.imageTokens;
          if (error.reportedPromptTokens) {
            s.calibrate(facts.promptChars, error.reportedPromptTokens, images, true);
          } else {
            // No count stated: the prompt plus the output asked for overflowed the window.
            const asked = facts.maxOutputTokens ?? 0;
            s.calibrateAtLeast(facts.promptChars, e.contextWindow - asked + 1, images);
          }
          p = plan(tried);
          i = 0;
          if (p.order.length === 0) {
            throw new StopRetrying(refusal(call, p, error));
          }
        }
      }
    }
    const made = call.attempts.length;
    if (made >= config.retry.maxAttempts) {
      throw new RoundFailed(false, `${made} attempts made, the most allowed (retry.maxAttempts)`);
    }
    if (budgetDenied && (!last || last.failure.retryable)) {
      throw new RoundFailed(false, 'the retry budget of the failing tier is exhausted');
    }
    throw new RoundFailed(
      true,
      `every candidate failed (${tried.size} endpoint${tried.size === 1 ? '' : 's'})`,
    );
  };

  // Reads a plain call's answer to the end. A failure here is the attempt's (its events and
  // health were recorded when the stream settled): failover goes on.
  const assemble = async (outcome: Extract<AttemptOutcome, { kind: 'stream' }>) => {
    const assembler = new CompletionAssembler();
    try {
      const stream = outcome.stream;
      while (true) {
        // Buffered chunks synchronously; await only for the network.
        let item = stream.takeItem();
        if (item === null) item = await stream.nextItem();
        if (!item) break;
        assembler.add(item.chunk);
      }
    } catch (error) {
      await outcome.settled;
      if (call.abortError()) throw new AttemptFailure('aborted', 'Call aborted', { cause: error });
      const failure =
        error instanceof StreamInterruptedError ? streamFailureClass(error) : 'connection';
      throw new AttemptFailure(failure, (error as Error).message);
    }
    const { costUsd } = await outcome.settled;
    const completed: Completed = {
      kind: 'completion',
      completion: assembler.finish(),
      served: outcome.served,
      costUsd,
    };
    return completed;
  };

  const runRounds = () =>
    pRetry(round, {
      retries: config.retry.retries,
      minTimeout: config.retry.minDelayMs,
      maxTimeout: config.retry.maxDelayMs,
      factor: 2,
      randomize: true,
      unref: true,
      signal: call.signal,
      shouldRetry: async ({ error, attemptNumber }) => {
        if (!(error instanceof RoundFailed) || !error.retryable) return false;
        if (call.attempts.length >= config.retry.maxAttempts) return false;
        // Honour Retry-After: wait until the soonest candidate of this call may be tried again.
        const now = config.now();
        let soonest = Number.POSITIVE_INFINITY;
        for (const c of plan(undefined).candidates) {
          soonest = Math.min(soonest, c.signals.health.availableAt(now) || now);
        }
        const waitMs = Number.isFinite(soonest)
          ? Math.min(soonest - now, config.retry.maxRetryAfterMs)
          : 0;
        engine.emit('retry', () => ({
          requestId: call.requestId,
          timestamp: Date.now(),
          round: attemptNumber,
          delayMs: waitMs,
          reason: error.message,
        }));
        if (waitMs > 0) await sleep(waitMs, call.signal);
        return true;
      },
    });

  // Returns a plain call's answer: books it, then the call ends.
  const deliver = (outcome: Completed): CallResult => {
    const served = outcome.served;
    recordRoute(outcome.completion, {
      requestId: call.requestId,
      endpointId: served.endpoint.id,
      tier: served.endpoint.tier,
    });
    call.onServed?.(served);
    engine.recordAnswered(served, outcome.completion.usage);
    emitRequestEnd(
      engine,
      call,
      served,
      undefined,
      outcome.completion.usage,
      costUsd,
      false,
      outcome.completion,
    );
    call.finish(true);
    return {
      kind: 'completion',
      completion: outcome.completion,
      served,
    };
  };

  try {
    if (call.signal.aborted) throw call.abortError() ?? new Error('aborted');
    while (true) {
      const outcome = await runRounds();
      if (outcome.kind === 'stream') {
        void outcome.settled.then((settlement) => settleBudget(settlement.costUsd));
        return { kind: 'stream', stream: outcome.stream, served: outcome.served };
      }
      costUsd += outcome.costUsd;
      settleBudget(outcome.costUsd);
      // Escalation (cascade): an answer the call rejects re-runs on the next tier, if one fits.
      const nextTier = outcome.served.endpoint.tierIndex + 1;
      if (
        call.escalation &&
        nextTier < config.tiers.length &&
        !(await accepted(call, outcome.completion))
      ) {
        minTier = nextTier;
        if (plan(undefined).order.length > 0) {
          rejected = outcome;
          escalated = true;
          last = undefined;
          failedTiers = 0;
          engine.recordEscalation();
          continue;
        }
        minTier = undefined; // nothing fits above: the answer we have is the best there is
      }
      return deliver(outcome);
    }
  } catch (error) {
    settleBudget(0);
    const aborted = call.abortError();
    // The escalated run failed: the rejected answer, already paid for, beats no answer.
    if (!aborted && rejected) return deliver(rejected);
    call.finish(false);
    if (aborted) throw aborted;
    if (error instanceof RoundFailed) {
      const lastError = last?.failure;
      const made = call.attempts.length;
      throw new AllAttemptsFailedError(
        `Failed to complete the call after ${made} attempt${made === 1 ? '' : 's'}: ${error.message}` +
          (lastError ? `; last error: ${lastError.message}` : ''),
        call.attempts,
        lastError,
      );
    }
    throw asError(error);
  }
}

async function accepted(call: Call, completion: Completed['completion']): Promise<boolean> {
  const escalation = call.escalation;
  if (!escalation) return true;
  const choice = completion.choices[0];
  if (escalation.onLength && choice?.finish_reason === 'length') return false;
  if (escalation.onInvalidJson && call.facts.wantsJson) {
    try {
      JSON.parse(choice?.message?.content ?? '');
    } catch {
      return false;
    }
  }
  return escalation.accept ? (await escalation.accept(completion)) !== false : true;
}

// The next untried candidate after position `from` in the plan: the hedge goes there.
function hedgeTarget(
  order: readonly EndpointSignals[],
  from: number,
  tried: ReadonlySet<string>,
): EndpointSignals | undefined {
  for (let j = from; j < order.length; j++) {
    const s = order[j] as EndpointSignals;
    if (!tried.has(s.endpoint.id)) return s;
  }
  return undefined;
}

// Default hedge delay: the primary's p95 time to first token (for a call asked plain, to the whole
// answer), but at least twice its median. A bare p95 hedges 5% of healthy calls by definition,
// which spends a 5% extra-load budget on calls that were never stuck; with the floor, the budget
// goes to the stalled ones (bench: p99 2.06 s → 0.17 s when 5% of calls stall). Before 20
// samples: twice the predicted time.
function hedgeDelay(s: EndpointSignals, plain: boolean): number {
  const window = plain ? s.latencyMs : s.ttftMs;
  const p95 = window.percentile(0.95);
  const p50 = window.percentile(0.5);
  if (p95 !== undefined && p50 !== undefined && window.size >= 20) return Math.max(p95, 2 * p50);
  return 2 * s.healthyTtftMs(0);
}

/** Nothing can take the call: over budget, or nothing fits. */
function refusal(call: Call, p: RoutePlan, cause?: AttemptFailure): TieredError {
  const reasons = Object.entries(p.excluded).filter(([, why]) => why !== 'already tried');
  const overBudget = reasons.filter(([, why]) => why.startsWith('worst-case cost'));
  if (call.budget && overBudget.length > 0 && !cause) {
    let cheapest = Number.POSITIVE_INFINITY;
    for (const [, why] of overBudget) {
      const usd = Number(/\$([0-9.e+-]+)/.exec(why)?.[1]);
      if (Number.isFinite(usd)) cheapest = Math.min(cheapest, usd);
    }
    return call.budget.refuse(call.requestId, cheapest);
  }
  const pin = call.pin
    ? ` (pinned to ${call.pin.kind} ${'tier' in call.pin ? call.pin.tier : 'id' in call.pin ? call.pin.id : call.pin.model})`
    : '';
  const message = cause
    ? `Failed to route the call: no endpoint with a larger context window is left after ${cause.message}`
    : `Failed to route the call: no endpoint can serve it${pin}: ${reasons.map(([id, why]) => `${id}: ${why}`).join('; ') || 'none configured'}`;
  return new NoEndpointError(message, p.excluded);
}

function asError(error: unknown): TieredError {
  if (error instanceof StopRetrying) return asError(error.originalError);
  if (TieredError.isInstance(error)) return error;
  return new AllAttemptsFailedError(
    `Failed to complete the call: ${String((error as Error)?.message ?? error)}`,
    [],
    error,
  );
}
