import type { CompletionUsage } from 'openai/resources/completions';
import type {
  AttemptRecord,
  FailureClass,
  StreamInterruptedError,
  TieredError,
} from '../errors.js';
import { bodyFor } from '../estimate/estimate-request.js';
import type { AttemptKind } from '../events.js';
import { MAX_TIMER_MS } from '../internal/validate.js';
import type { EndpointSignals } from '../signals/endpoint-signals.js';
import { type AttemptResult, runAttempt } from './attempt.js';
import { AttemptFailure } from './attempt-failure.js';
import type { AttemptOutcome, Call, Engine } from './engine.js';
import { RouterStream } from './router-stream.js';

export interface TrackedAttemptSpec {
  readonly s: EndpointSignals;
  readonly kind: AttemptKind;
  /** The call's attempt log; this attempt appends to it when it fails. */
  readonly attempts: AttemptRecord[];
  /** Aborts this attempt: the call's signal, or a hedge lane linked to it. */
  readonly signal: AbortSignal;
  /** A stream's end (or break): its cost, for the session budget. */
  readonly onStreamEnd: (costUsd: number) => void;
}

/**
 * One attempt with everything around it: a slot (waiting in the endpoint's queue), the adaptive
 * first-token timeout, the signals it teaches (latency, tokens, health), and its events.
 */
export async function trackedAttempt(
  engine: Engine,
  call: Call,
  spec: TrackedAttemptSpec,
): Promise<AttemptOutcome> {
  const { config } = engine;
  const { s, kind, attempts, signal } = spec;
  const e = s.endpoint;
  const attempt = attempts.length + 1;
  const queuedAt = config.now();
  let release: () => void;
  try {
    release = await engine.slots.acquire(s, signal, call.priority);
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
  // An attempt starts when it holds a slot and is sent; every start ends in attempt:end or
  // attempt:error, whatever becomes of it.
  engine.emit('attempt:start', () => ({
    requestId: call.requestId,
    timestamp: Date.now(),
    endpointId: e.id,
    tier: e.tier,
    attempt,
    kind,
  }));

  const facts = call.facts;
  const imageTokens = facts.imageParts * config.estimate.imageTokens;
  const promptTokens = s.promptTokensFor(facts.promptChars, imageTokens);
  const outputTokens = facts.maxOutputTokens ?? engine.typicalOutputTokens;
  // The first-token timeout comes from answers the endpoint gave, never from past timeouts.
  const healthyTtft = s.healthyTtftMs(promptTokens);
  const predicted = facts.stream
    ? healthyTtft
    : healthyTtft + outputTokens * s.timePerOutputTokenMs();
  const t = config.timeouts;
  const firstTokenTimeoutMs = Math.min(
    MAX_TIMER_MS,
    Math.max(t.firstTokenFloorMs, t.firstTokenMultiplier * predicted),
  );

  let result: AttemptResult;
  try {
    result = await runAttempt({
      endpoint: e,
      body: bodyFor(facts.bodyTail, e.model),
      stream: facts.stream,
      headers: headersFor(e.headers, call),
      signal,
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
      // No first token to split on: what the prefill prediction does not explain is decode.
      s.tpot.observe(Math.max(0, latencyMs - healthyTtft) / completionTokens, now);
      if (s.penalty.value) s.penalty.observe(0, now);
    }
    const costUsd = recordSuccess(engine, call, s, usage);
    s.latencyMs.add(latencyMs);
    emitAttemptEnd(engine, call, s, attempt, latencyMs, undefined);
    return {
      kind: 'completion',
      completion: result.completion,
      text: result.text,
      served: s,
      costUsd,
    };
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
    secrets: e.secrets,
    stallMs: t.stallMs,
    now: config.now,
    abortError: call.abortError,
    onSettle: (outcome) => {
      release();
      result.unlink();
      if (!outcome.ok && outcome.discarded) {
        // A hedge's loser: the call goes on elsewhere.
        const lost = new AttemptFailure('aborted', `Attempt on ${e.id} lost the hedge race`);
        recordFailure(engine, call, s, lost, attempt, config.now() - started);
        return;
      }
      const now = config.now();
      const latencyMs = now - started;
      let costUsd = 0;
      if (outcome.ok) {
        const tokens = outcome.usage?.completion_tokens ?? outcome.contentChunks;
        if (tokens > 1) {
          s.tpot.observe((outcome.lastChunkAt - started - ttftMs) / (tokens - 1), now);
        }
        costUsd = recordSuccess(engine, call, s, outcome.usage);
        s.latencyMs.add(latencyMs);
        emitAttemptEnd(engine, call, s, attempt, latencyMs, ttftMs);
        call.onServed?.(s);
        engine.recordAnswered(s, outcome.usage);
        emitRequestEnd(engine, call, s, attempt, ttftMs, outcome.usage, costUsd, true);
      } else {
        const aborted = outcome.cancelled || call.abortError() !== undefined;
        const failure = new AttemptFailure(
          aborted ? 'aborted' : streamFailure(outcome.error),
          outcome.error.message,
        );
        recordFailure(engine, call, s, failure, attempt, latencyMs);
        engine.recordCallFailed();
        emitRequestError(engine, call, call.abortError() ?? outcome.error, attempt);
      }
      spec.onStreamEnd(costUsd);
      call.finish();
    },
  });
  return { kind: 'stream', stream, served: s };
}

// How a broken stream counts against its endpoint.
function streamFailure(error: TieredError): FailureClass {
  switch ((error as { reason?: StreamInterruptedError['reason'] }).reason) {
    case 'stall':
      return 'stall';
    case 'malformed':
      return 'bad_response';
    case 'upstream_error':
      return 'server';
    default:
      return 'connection';
  }
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
  engine.recordCost(costUsd);
  return costUsd;
}

function recordFailure(
  engine: Engine,
  call: Call,
  s: EndpointSignals,
  failure: AttemptFailure,
  attempt: number,
  durationMs: number,
): void {
  const now = engine.config.now();
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
  // The caller's own mistakes and aborts (and a lost hedge) say nothing of the endpoint's health.
  if (
    failure.failure === 'client' ||
    failure.failure === 'aborted' ||
    failure.failure === 'context_length'
  ) {
    return;
  }
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

function emitAttemptEnd(
  engine: Engine,
  call: Call,
  s: EndpointSignals,
  attempt: number,
  durationMs: number,
  ttftMs: number | undefined,
): void {
  engine.emit('attempt:end', () => ({
    requestId: call.requestId,
    timestamp: Date.now(),
    endpointId: s.endpoint.id,
    tier: s.endpoint.tier,
    attempt,
    durationMs,
    ttftMs,
  }));
}

export function emitRequestEnd(
  engine: Engine,
  call: Call,
  s: EndpointSignals,
  attempts: number,
  ttftMs: number | undefined,
  usage: CompletionUsage | undefined,
  costUsd: number,
  stream: boolean,
): void {
  engine.emit('request:end', () => ({
    requestId: call.requestId,
    timestamp: Date.now(),
    endpointId: s.endpoint.id,
    tier: s.endpoint.tier,
    attempts,
    latencyMs: engine.config.now() - call.startedAt,
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
