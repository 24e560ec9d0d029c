import type { ChatCompletion } from 'openai/resources/chat/completions';
import pRetry, { AbortError as StopRetrying } from 'p-retry';
import {
  AllAttemptsFailedError,
  type AttemptRecord,
  NoEndpointError,
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
import { AttemptFailure } from './attempt-failure.js';
import type { AttemptOutcome, Call, CallResult, Engine } from './engine.js';
import { hedgedAttempt } from './hedged-attempt.js';
import { emitRequestEnd, trackedAttempt } from './tracked-attempt.js';

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

// Worst-case output when a budgeted call sets no max_tokens: a multiple of the typical answer.
const WORST_CASE_OUTPUT_FACTOR = 4;

/**
 * Runs one call to an answer or a typed error: plan, then attempts down the plan — failing over
 * at once to the next candidate on a retryable failure, hedging a slow first attempt when asked —
 * and, when every candidate has failed, backoff rounds (p-retry) that re-plan from fresh signals.
 * Attempts on a tier the call already failed on draw from that tier's retry budget; moving up a
 * tier is free. An answer the call's escalation rejects re-runs the call on the next tier.
 */
export async function execute(engine: Engine, call: Call): Promise<CallResult> {
  const { config } = engine;
  const facts = call.facts;
  const attempts: AttemptRecord[] = [];
  let last: { s: EndpointSignals; failure: AttemptFailure } | undefined;
  // Tiers this call has failed on, as a bit mask: another attempt there is a retry.
  let failedTiers = 0;
  let budgetDenied = false;
  let deposited = false;
  let hedgeUsed = false;
  let minTier: number | undefined;
  let escalated = false;
  let costUsd = 0;
  let reservedUsd = 0;
  const budget = call.budget;
  const expectedOutput = facts.maxOutputTokens ?? engine.typicalOutputTokens;

  const routeInput = (exclude: ReadonlySet<string> | undefined): RouteInput => ({
    promptChars: facts.promptChars,
    imageParts: facts.imageParts,
    outputTokens: expectedOutput,
    expectedOutputTokens: expectedOutput,
    needs: facts.needs,
    pin: call.pin,
    exclude,
    deadlineMs: call.deadlineAt === undefined ? undefined : call.deadlineAt - config.now(),
    affinity: call.affinity,
    minTier,
    // The reservation this call holds is its own to spend.
    maxCostUsd: budget ? budget.available() + reservedUsd : undefined,
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
  const settleBudget = (spent: number) => {
    budget?.settle(reservedUsd, spent);
    reservedUsd = 0;
  };

  const round = async (roundNumber: number): Promise<AttemptOutcome> => {
    const tried = new Set<string>();
    let p = plan(undefined);
    if (roundNumber === 1 && !escalated) emitRouteSelect(engine, call, p);
    if (p.order.length === 0) throw new StopRetrying(refusal(call, p, attempts));
    if (budget && reservedUsd === 0) {
      // Hold the worst case of the plan, so calls in flight together cannot overspend.
      const input = routeInput(undefined);
      for (const s of p.order) {
        reservedUsd = Math.max(
          reservedUsd,
          worstCaseCostUsd(s, input, config.estimate.imageTokens),
        );
      }
      budget.reserve(reservedUsd);
    }
    let i = 0;
    while (i < p.order.length) {
      const s = p.order[i++] as EndpointSignals;
      const e = s.endpoint;
      if (tried.has(e.id)) continue;
      if (attempts.length >= config.retry.maxAttempts) break;
      if (failedTiers & (1 << e.tierIndex)) {
        // A tier this call already failed on: a retry, paid from the tier's budget.
        if (!engine.budgets[e.tierIndex]?.tryWithdraw(config.now())) {
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
        escalated && attempts.length === 0
          ? 'escalation'
          : attempts.length === 0
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
        const spec = {
          kind,
          attempts,
          onStreamEnd: (spent: number) => settleBudget(spent),
        };
        const secondary = call.hedge && !hedgeUsed ? hedgeTarget(p.order, i, tried) : undefined;
        if (secondary && call.hedge) {
          hedgeUsed = true;
          return await hedgedAttempt(engine, call, {
            ...spec,
            primary: s,
            secondary,
            delayMs: Math.min(
              MAX_TIMER_MS,
              call.hedge.delayMs ?? hedgeDelay(s, facts.stream, expectedOutput),
            ),
            tried,
          });
        }
        return await trackedAttempt(engine, call, { ...spec, s, signal: call.signal });
      } catch (error) {
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
          // The estimate was short for this tokenizer: learn, and re-plan what still fits.
          if (error.reportedPromptTokens) {
            s.calibrate(
              facts.promptChars,
              error.reportedPromptTokens,
              facts.imageParts * config.estimate.imageTokens,
              true,
            );
          } else {
            s.charsPerToken *= 0.8;
          }
          p = plan(tried);
          i = 0;
          if (p.order.length === 0) {
            throw new StopRetrying(refusal(call, p, attempts, error));
          }
        }
      }
    }
    if (attempts.length >= config.retry.maxAttempts) {
      throw new RoundFailed(
        false,
        `${attempts.length} attempts made, the most allowed (retry.maxAttempts)`,
      );
    }
    if (budgetDenied && (!last || last.failure.retryable)) {
      throw new RoundFailed(false, 'the retry budget of the failing tier is exhausted');
    }
    throw new RoundFailed(
      true,
      `every candidate failed (${tried.size} endpoint${tried.size === 1 ? '' : 's'})`,
    );
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
        if (attempts.length >= config.retry.maxAttempts) return false;
        // Honour Retry-After: wait until the soonest candidate may be tried again.
        const now = config.now();
        let soonest = Number.POSITIVE_INFINITY;
        for (const s of engine.signals)
          soonest = Math.min(soonest, s.health.availableAt(now) || now);
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

  try {
    if (call.signal.aborted) throw call.abortError() ?? new Error('aborted');
    while (true) {
      const outcome = await runRounds();
      if (outcome.kind === 'stream') return outcome;
      costUsd += outcome.costUsd;
      const served = outcome.served;
      // Escalation (cascade): an answer the call rejects re-runs on the next tier, if there is one.
      const nextTier = served.endpoint.tierIndex + 1;
      if (
        call.escalation &&
        nextTier < config.tiers.length &&
        !(await accepted(call, outcome.completion))
      ) {
        minTier = nextTier;
        escalated = true;
        last = undefined;
        failedTiers = 0;
        attempts.length = 0;
        engine.recordEscalation();
        const next = plan(undefined);
        if (next.order.length > 0) continue;
        minTier = undefined; // nothing fits above: the answer we have is the best there is
      }
      settleBudget(costUsd);
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
        attempts.length + 1,
        undefined,
        outcome.completion.usage,
        costUsd,
        false,
      );
      call.finish();
      return {
        kind: 'completion',
        requestId: call.requestId,
        completion: outcome.completion,
        text: outcome.text,
        served,
      };
    }
  } catch (error) {
    settleBudget(costUsd);
    call.finish();
    const aborted = call.abortError();
    if (aborted) throw aborted;
    if (error instanceof RoundFailed) {
      const lastError = last?.failure;
      throw new AllAttemptsFailedError(
        `Failed to complete the call after ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}: ${error.message}` +
          (lastError ? `; last error: ${lastError.message}` : ''),
        attempts,
        lastError,
      );
    }
    throw asError(error);
  }
}

async function accepted(call: Call, completion: ChatCompletion): Promise<boolean> {
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

// Default hedge delay: the primary's p95 time to first token (for a plain call, p95 latency);
// before it has answers, twice its predicted time.
function hedgeDelay(s: EndpointSignals, stream: boolean, outputTokens: number): number {
  const p95 = stream ? s.ttftMs.percentile(0.95) : s.latencyMs.percentile(0.95);
  if (p95 !== undefined && s.ttftMs.size + s.latencyMs.size >= 20) return p95;
  const predicted = s.healthyTtftMs(0) + (stream ? 0 : outputTokens * s.timePerOutputTokenMs());
  return 2 * predicted;
}

function emitRouteSelect(engine: Engine, call: Call, p: RoutePlan): void {
  const primary = p.order[0];
  if (!primary) return;
  engine.emit('route:select', () => ({
    requestId: call.requestId,
    timestamp: Date.now(),
    endpointId: primary.endpoint.id,
    tier: primary.endpoint.tier,
    reason: p.reason,
    fallbacks: p.order.slice(1).map((s) => s.endpoint.id),
    candidates: p.candidates.map((c) => ({
      endpointId: c.signals.endpoint.id,
      tier: c.signals.endpoint.tier,
      promptTokens: c.promptTokens,
      predictedMs: c.predictedMs,
      queueWaitMs: c.queueWaitMs,
      cost: c.cost,
      available: c.available,
    })),
    excluded: p.excluded,
  }));
}

/** Nothing can take the call: over budget, or nothing fits. */
function refusal(
  call: Call,
  p: RoutePlan,
  attempts: readonly AttemptRecord[],
  cause?: AttemptFailure,
): TieredError {
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
  const message =
    attempts.length > 0 && cause
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
