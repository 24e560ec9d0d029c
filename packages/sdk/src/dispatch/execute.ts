import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import pRetry, { AbortError as StopRetrying } from 'p-retry';
import type { ResolvedConfig } from '../config.js';
import {
  AllAttemptsFailedError,
  type AttemptRecord,
  NoEndpointError,
  TieredError,
  UpstreamError,
} from '../errors.js';
import { bodyFor, type RequestFacts } from '../estimate/estimate-request.js';
import type { AttemptKind, RouterEventName, RouterEvents } from '../events.js';
import { sleep } from '../internal/abort.js';
import type { Pin } from '../policy/filter.js';
import { planRoute, type RoutePlan } from '../policy/plan-route.js';
import type { EndpointSignals } from '../signals/endpoint-signals.js';
import type { RetryBudget } from '../signals/retry-budget.js';
import { type AttemptResult, runAttempt } from './attempt.js';
import { AttemptFailure } from './attempt-failure.js';
import { RouterStream } from './router-stream.js';
import type { Slots } from './slots.js';

/** The router state dispatch works with. */
export interface Engine {
  readonly config: ResolvedConfig;
  readonly signals: readonly EndpointSignals[];
  /** One retry budget per tier, by tier index. */
  readonly budgets: readonly RetryBudget[];
  readonly slots: Slots;
  /** Typical completion tokens of calls without `max_tokens` (learned). */
  typicalOutputTokens: number;
  emit<K extends RouterEventName>(name: K, make: () => RouterEvents[K][0]): void;
  /** Books a served call: totals and the origin-only counterfactual. */
  recordServed(s: EndpointSignals, usage: CompletionUsage | undefined, costUsd: number): void;
}

/** One call, as the router hands it to dispatch. */
export interface Call {
  readonly requestId: string;
  readonly facts: RequestFacts;
  readonly pin: Pin | undefined;
  readonly priority: number;
  /** Monotonic ms by which the call must be answered (session or route deadline). */
  readonly deadlineAt: number | undefined;
  readonly affinity: string | undefined;
  readonly callerHeaders: Readonly<Record<string, string>> | undefined;
  /** Aborts on the caller's signal and on the total timeout. */
  readonly signal: AbortSignal;
  /** The error for an aborted call (AbortError or TimeoutError), or undefined. */
  readonly abortError: () => TieredError | undefined;
  readonly startedAt: number;
  /** Called once when the call is over (stream or not): frees the call's timers. */
  readonly finish: () => void;
}

export type CallResult =
  | {
      readonly kind: 'completion';
      readonly completion: ChatCompletion;
      readonly text: string;
      readonly served: EndpointSignals;
    }
  | { readonly kind: 'stream'; readonly stream: RouterStream; readonly served: EndpointSignals };

/** A round that ended without an answer; p-retry decides whether to back off and go again. */
class RoundFailed extends Error {
  constructor(
    readonly retryable: boolean,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Runs one call to an answer or a typed error: plan, then attempts down the plan — failing over
 * at once to the next candidate on a retryable failure — and, when every candidate has failed,
 * backoff rounds (p-retry) that re-plan from fresh signals. Attempts after a failure that land on
 * the same tier draw from that tier's retry budget; moving up a tier is free.
 */
export async function execute(engine: Engine, call: Call): Promise<CallResult> {
  const { config } = engine;
  const attempts: AttemptRecord[] = [];
  let last: { s: EndpointSignals; failure: AttemptFailure } | undefined;
  // Tiers this call has failed on, as a bit mask: another attempt there is a retry.
  let failedTiers = 0;
  let budgetDenied = false;
  let deposited = false;

  const plan = (exclude: ReadonlySet<string> | undefined): RoutePlan => {
    const facts = call.facts;
    const now = config.now();
    return planRoute(
      {
        promptChars: facts.promptChars,
        imageParts: facts.imageParts,
        outputTokens: facts.maxOutputTokens ?? engine.typicalOutputTokens,
        expectedOutputTokens: facts.maxOutputTokens ?? engine.typicalOutputTokens,
        needs: facts.needs,
        pin: call.pin,
        exclude,
        deadlineMs: call.deadlineAt === undefined ? undefined : call.deadlineAt - now,
        affinity: call.affinity,
      },
      {
        endpoints: engine.signals,
        tierCount: config.tiers.length,
        contextMargin: config.estimate.contextMargin,
        imageTokens: config.estimate.imageTokens,
        now,
        random: config.random,
      },
    );
  };

  const round = async (roundNumber: number): Promise<CallResult> => {
    const tried = new Set<string>();
    let p = plan(undefined);
    if (roundNumber === 1) emitRouteSelect(engine, call, p);
    if (p.order.length === 0) throw new StopRetrying(noEndpoint(p, call, attempts));
    let i = 0;
    while (i < p.order.length) {
      const s = p.order[i++] as EndpointSignals;
      if (attempts.length >= config.retry.maxAttempts) break;
      const e = s.endpoint;
      if (failedTiers & (1 << e.tierIndex)) {
        // A tier this call already failed on: a retry, paid from the tier's budget.
        if (!engine.budgets[e.tierIndex]?.tryWithdraw(config.now())) {
          budgetDenied = true;
          continue;
        }
      }
      if (!deposited) {
        engine.budgets[e.tierIndex]?.deposit(config.now());
        deposited = true;
      }
      const kind: AttemptKind =
        attempts.length === 0 ? 'primary' : i === 1 && roundNumber > 1 ? 'retry' : 'failover';
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
      try {
        return await attemptOn(engine, call, s, kind, attempts);
      } catch (error) {
        if (!(error instanceof AttemptFailure)) throw new StopRetrying(asError(error));
        tried.add(e.id);
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
              call.facts.promptChars,
              error.reportedPromptTokens,
              call.facts.imageParts * config.estimate.imageTokens,
              true,
            );
          } else {
            s.charsPerToken *= 0.8;
          }
          p = plan(tried);
          i = 0;
          if (p.order.length === 0) throw new StopRetrying(noEndpoint(p, call, attempts, error));
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

  try {
    if (call.signal.aborted) throw call.abortError() ?? new Error('aborted');
    return await pRetry(round, {
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
  } catch (error) {
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

/** One attempt on one endpoint, with its slot and its bookkeeping. */
async function attemptOn(
  engine: Engine,
  call: Call,
  s: EndpointSignals,
  kind: AttemptKind,
  attempts: AttemptRecord[],
): Promise<CallResult> {
  const { config } = engine;
  const e = s.endpoint;
  const attempt = attempts.length + 1;
  engine.emit('attempt:start', () => ({
    requestId: call.requestId,
    timestamp: Date.now(),
    endpointId: e.id,
    tier: e.tier,
    attempt,
    kind,
  }));

  const queuedAt = config.now();
  let release: () => void;
  try {
    release = await engine.slots.acquire(s, call.signal, call.priority);
  } catch (cause) {
    const failure = new AttemptFailure('aborted', `Call aborted while queued for ${e.id}`, {
      cause,
    });
    attempts.push(attemptRecord(s, failure, config.now() - queuedAt));
    throw failure;
  }
  const started = config.now();
  if (started - queuedAt >= 1) {
    engine.emit('queue:wait', () => ({
      requestId: call.requestId,
      timestamp: Date.now(),
      endpointId: e.id,
      waitedMs: started - queuedAt,
    }));
  }

  const facts = call.facts;
  const promptTokens = s.promptTokensFor(
    facts.promptChars,
    facts.imageParts * config.estimate.imageTokens,
  );
  const outputTokens = facts.maxOutputTokens ?? engine.typicalOutputTokens;
  // The first-token timeout comes from answers the endpoint gave, never from past timeouts.
  const healthyTtft = s.healthyTtftMs(promptTokens);
  const predicted = facts.stream
    ? healthyTtft
    : healthyTtft + outputTokens * s.timePerOutputTokenMs();
  const t = config.timeouts;
  const firstTokenTimeoutMs = Math.max(t.firstTokenFloorMs, t.firstTokenMultiplier * predicted);

  let result: AttemptResult;
  try {
    result = await runAttempt({
      endpoint: e,
      body: bodyFor(facts.bodyTail, e.model),
      stream: facts.stream,
      headers: headersFor(e.headers, call),
      signal: call.signal,
      fetch: config.fetch,
      firstTokenTimeoutMs,
      maxRetryAfterMs: config.retry.maxRetryAfterMs,
      now: config.now,
    });
  } catch (error) {
    release();
    const failure =
      error instanceof AttemptFailure
        ? error
        : new AttemptFailure('connection', String(error), { cause: error });
    const durationMs = config.now() - started;
    attempts.push(attemptRecord(s, failure, durationMs));
    recordFailure(engine, call, s, failure, attempt, durationMs);
    throw failure;
  }

  if (result.kind === 'completion') {
    release();
    const now = config.now();
    const latencyMs = now - started;
    const usage = result.completion.usage;
    const completionTokens = usage?.completion_tokens;
    if (completionTokens && completionTokens > 0) {
      // No first token to split on: attribute what the prefill prediction does not explain to decode.
      s.tpot.observe(Math.max(0, latencyMs - healthyTtft) / completionTokens, now);
      if (s.penalty.value) s.penalty.observe(0, now);
    }
    const costUsd = recordSuccess(engine, call, s, usage);
    s.latencyMs.add(latencyMs);
    emitEnd(engine, call, s, attempt, latencyMs, undefined, usage, costUsd, false);
    call.finish();
    return { kind: 'completion', completion: result.completion, text: result.text, served: s };
  }

  const ttftMs = result.ttftMs;
  s.observeTtft(ttftMs, promptTokens, config.now());
  const stream = new RouterStream({
    requestId: call.requestId,
    endpointId: e.id,
    tier: e.tier,
    head: result.head,
    ended: result.ended,
    rest: result.rest,
    controller: result.controller,
    streamUsage: facts.streamUsage,
    stallMs: t.stallMs,
    now: config.now,
    abortError: call.abortError,
    onSettle: (outcome) => {
      release();
      result.unlink();
      const now = config.now();
      const latencyMs = now - started;
      if (outcome.ok) {
        const tokens = outcome.usage?.completion_tokens ?? outcome.contentChunks;
        if (tokens > 1)
          s.tpot.observe((outcome.lastChunkAt - started - ttftMs) / (tokens - 1), now);
        const costUsd = recordSuccess(engine, call, s, outcome.usage);
        s.latencyMs.add(latencyMs);
        emitEnd(engine, call, s, attempt, latencyMs, ttftMs, outcome.usage, costUsd, true);
      } else if (!outcome.cancelled && !call.abortError()) {
        const failure = new AttemptFailure(
          (outcome.error as { reason?: string }).reason === 'stall' ? 'stall' : 'connection',
          outcome.error.message,
        );
        recordFailure(engine, call, s, failure, attempt, latencyMs);
        emitRequestError(engine, call, outcome.error, attempt);
      } else {
        emitRequestError(engine, call, call.abortError() ?? outcome.error, attempt);
      }
      call.finish();
    },
  });
  return { kind: 'stream', stream, served: s };
}

function recordSuccess(
  engine: Engine,
  call: Call,
  s: EndpointSignals,
  usage: CompletionUsage | undefined,
): number {
  const config = engine.config;
  s.calls++;
  const transition = s.health.recordSuccess();
  if (transition === 'restore') emitRestore(engine, s, call.requestId, 'call');
  let costUsd = 0;
  if (usage) {
    const facts = call.facts;
    s.calibrate(
      facts.promptChars,
      usage.prompt_tokens,
      facts.imageParts * config.estimate.imageTokens,
    );
    s.promptTokens += usage.prompt_tokens;
    s.completionTokens += usage.completion_tokens;
    const price = s.endpoint.price;
    costUsd =
      (usage.prompt_tokens * price.inputPerMTok + usage.completion_tokens * price.outputPerMTok) /
      1e6;
    s.costUsd += costUsd;
    if (facts.maxOutputTokens === undefined && usage.completion_tokens > 0) {
      engine.typicalOutputTokens += (usage.completion_tokens - engine.typicalOutputTokens) * 0.05;
    }
  }
  engine.recordServed(s, usage, costUsd);
  return costUsd;
}

function attemptRecord(
  s: EndpointSignals,
  failure: AttemptFailure,
  durationMs: number,
): AttemptRecord {
  return {
    endpointId: s.endpoint.id,
    tier: s.endpoint.tier,
    failure: failure.failure,
    status: failure.status,
    message: failure.message,
    durationMs,
  };
}

function recordFailure(
  engine: Engine,
  call: Call,
  s: EndpointSignals,
  failure: AttemptFailure,
  attempt: number,
  durationMs: number,
): void {
  const config = engine.config;
  const now = config.now();
  const e = s.endpoint;
  engine.emit('attempt:error', () => ({
    requestId: call.requestId,
    timestamp: Date.now(),
    endpointId: e.id,
    tier: e.tier,
    attempt,
    failure: failure.failure,
    status: failure.status,
    message: failure.message,
    durationMs,
  }));
  // The caller's own mistakes and aborts say nothing about the endpoint's health.
  if (
    failure.failure === 'client' ||
    failure.failure === 'aborted' ||
    failure.failure === 'context_length'
  )
    return;
  s.calls++;
  s.errors++;
  if (failure.failure === 'timeout') {
    // Peak-EWMA penalty: the endpoint was at least this slow, so it loses traffic at once.
    s.penalty.observe(durationMs, now);
  }
  if (failure.retryAfterMs !== undefined) s.health.holdUntil(now + failure.retryAfterMs);
  const transition = s.health.recordFailure(
    now,
    failure.message,
    failure.failure === 'misconfigured',
  );
  if (transition === 'eject') {
    engine.emit('endpoint:eject', () => ({
      requestId: call.requestId,
      timestamp: Date.now(),
      endpointId: e.id,
      tier: e.tier,
      reason: failure.message,
      consecutiveFailures: s.health.consecutiveFailures,
    }));
  }
}

export function emitRestore(
  engine: Engine,
  s: EndpointSignals,
  requestId: string | undefined,
  via: 'call' | 'probe',
): void {
  engine.emit('endpoint:restore', () => ({
    requestId,
    timestamp: Date.now(),
    endpointId: s.endpoint.id,
    tier: s.endpoint.tier,
    via,
  }));
}

function emitEnd(
  engine: Engine,
  call: Call,
  s: EndpointSignals,
  attempt: number,
  _attemptMs: number,
  ttftMs: number | undefined,
  usage: CompletionUsage | undefined,
  costUsd: number,
  stream: boolean,
): void {
  const now = engine.config.now();
  engine.emit('attempt:end', () => ({
    requestId: call.requestId,
    timestamp: Date.now(),
    endpointId: s.endpoint.id,
    tier: s.endpoint.tier,
    attempt,
    durationMs: _attemptMs,
    ttftMs,
  }));
  engine.emit('request:end', () => ({
    requestId: call.requestId,
    timestamp: Date.now(),
    endpointId: s.endpoint.id,
    tier: s.endpoint.tier,
    attempts: attempt,
    latencyMs: now - call.startedAt,
    ttftMs,
    usage,
    costUsd,
    stream,
  }));
}

export function emitRequestError(
  engine: Engine,
  call: Call,
  error: TieredError,
  attempts: number,
): void {
  engine.emit('request:error', () => ({
    requestId: call.requestId,
    timestamp: Date.now(),
    code: error.code,
    message: error.message,
    attempts,
    latencyMs: engine.config.now() - call.startedAt,
  }));
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

function noEndpoint(
  p: RoutePlan,
  call: Call,
  attempts: readonly AttemptRecord[],
  cause?: AttemptFailure,
): TieredError {
  const reasons = Object.entries(p.excluded)
    .filter(([, why]) => why !== 'already tried')
    .map(([id, why]) => `${id}: ${why}`);
  const pin = call.pin
    ? ` (pinned to ${call.pin.kind} ${'tier' in call.pin ? call.pin.tier : 'id' in call.pin ? call.pin.id : call.pin.model})`
    : '';
  const message =
    attempts.length > 0 && cause
      ? `Failed to route the call: no endpoint with a larger context window is left after ${cause.message}`
      : `Failed to route the call: no endpoint can serve it${pin}: ${reasons.join('; ') || 'none configured'}`;
  return new NoEndpointError(message, p.excluded);
}

// Extra headers the caller passed; never credentials — an endpoint's key is the only one it gets.
const forbidden = new Set([
  'authorization',
  'api-key',
  'x-api-key',
  'content-type',
  'content-length',
  'host',
  'cookie',
]);

function headersFor(base: Readonly<Record<string, string>>, call: Call): Record<string, string> {
  const headers: Record<string, string> = { ...base, 'x-tiered-request-id': call.requestId };
  const extra = call.callerHeaders;
  if (extra) {
    for (const name in extra) {
      const lower = name.toLowerCase();
      if (forbidden.has(lower) || lower in base) continue;
      const v = extra[name];
      if (typeof v === 'string') headers[lower] = v;
    }
  }
  return headers;
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
