import type { CompletionUsage } from 'openai/resources/completions';
import type { AttemptKind, ResponseMeta } from '../events.js';
import { HEDGE_LOST } from '../internal/abort.js';
import { MAX_TIMER_MS } from '../internal/validate.js';
import type { EndpointSignals } from '../signals/endpoint-signals.js';
import type { TelemetryAttempt } from '../telemetry.js';
import { AttemptFailure, streamFailureClass, TrialElsewhere } from './attempt-failure.js';
import { chatCodec } from './chat-codec.js';
import {
  emitAttemptError,
  emitEject,
  emitRequestEnd,
  emitRequestError,
  emitRestore,
  type ResponseSource,
} from './emit-events.js';
import type { AttemptOutcome, Call, Engine, StreamSettlement } from './engine.js';
import { responseMetaOf } from './response-meta.js';
import { responsesCodec } from './responses-codec.js';
import { RouterStream, type StreamOutcome } from './router-stream.js';
import { type AttemptResult, runAttempt } from './run-attempt.js';

// A plain answer predicted within this many first-token floors goes upstream plain (see below).
const PLAIN_ANSWER_LIMIT = 3;

// One started attempt, as its end is reported: its number, its telemetry, and the signal that
// aborts it (a hedge lane's reason tells a lost race from a failure).
interface Track {
  readonly attempt: number;
  readonly telemetry: TelemetryAttempt | undefined;
  readonly lane: AbortSignal;
}

export interface TrackedAttemptSpec {
  readonly s: EndpointSignals;
  readonly kind: AttemptKind;
  /** Aborts this attempt: the call's signal, or a hedge lane linked to it. */
  readonly signal: AbortSignal;
}

/**
 * How an attempt asks its endpoint: plain when the call wants a completion whose answer is bounded
 * (max_tokens) and predicted short, streamed otherwise (see `trackedAttempt`).
 */
export function upstreamMode(
  engine: Engine,
  call: Call,
  s: EndpointSignals,
): { plainUpstream: boolean; wholeAnswerMs: number; promptTokens: number; healthyTtft: number } {
  const { facts } = call;
  const t = engine.config.timeouts;
  const promptTokens = s.promptTokensFor(
    facts.promptChars,
    facts.imageParts * engine.config.estimate.imageTokens,
  );
  const healthyTtft = s.healthyTtftMs(promptTokens);
  const maxOutput = facts.maxOutputTokens;
  const wholeAnswerMs =
    maxOutput === undefined
      ? Number.POSITIVE_INFINITY
      : healthyTtft + maxOutput * s.timePerOutputTokenMs();
  const plainUpstream =
    !facts.stream &&
    t.firstTokenMultiplier * wholeAnswerMs <= PLAIN_ANSWER_LIMIT * t.firstTokenFloorMs;
  return { plainUpstream, wholeAnswerMs, promptTokens, healthyTtft };
}

/**
 * One attempt with everything around it: a slot (waiting in the endpoint's queue), the adaptive
 * first-token timeout, the signals it teaches (latency, tokens, health), its events, and the
 * call's attempt log. Resolves at the first content token with a stream; a stream the caller
 * holds (`stream: true`) also ends the call when it settles.
 */
export async function trackedAttempt(
  engine: Engine,
  call: Call,
  spec: TrackedAttemptSpec,
): Promise<AttemptOutcome> {
  const { config } = engine;
  const { s, kind, signal } = spec;
  const e = s.endpoint;
  // Half-open after an ejection: one trial call, fleet-wide — unless another router holds it.
  if (engine.fleet && s.health.isHalfOpen(config.now()) && !(await engine.fleet.claimTrial(s))) {
    throw new TrialElsewhere(e.id);
  }
  const attempt = ++call.counts.attempts;
  const queuedAt = config.now();
  let release: () => void;
  let queued: boolean;
  try {
    ({ release, queued } = await engine.slots.acquire(s, signal, call.priority));
  } catch (cause) {
    // Never sent: no attempt:start, nothing to pair.
    const failure = new AttemptFailure('aborted', `Call aborted while queued for ${e.id}`, {
      cause,
    });
    logAttempt(call, s, failure, config.now() - queuedAt);
    throw failure;
  }
  const started = config.now();
  if (queued) {
    engine.emit('queue:wait', () => ({
      requestId: call.requestId,
      timestamp: Date.now(),
      endpointId: e.id,
      waitedMs: started - queuedAt,
    }));
  }
  s.health.beginAttempt(started);
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
  const telemetry = call.telemetry?.startAttempt({
    endpointId: e.id,
    tier: e.tier,
    model: e.model,
    serverAddress: e.serverAddress,
    serverPort: e.serverPort,
    attempt,
    kind,
    queuedMs: queued ? started - queuedAt : 0,
  });
  const track: Track = { attempt, telemetry, lane: signal };

  const facts = call.facts;
  // Timeouts come from answers the endpoint gave, never from past timeouts. A plain call whose
  // answer is bounded (max_tokens) and predicted short goes upstream plain — one JSON body, and a
  // timeout on the whole answer that a hang cannot outlast for long. Any other plain call streams
  // upstream: only a first token tells a hang from a long answer, and the router assembles the
  // completion (so an answer cut mid-way still fails over).
  const t = config.timeouts;
  const { plainUpstream, wholeAnswerMs, promptTokens, healthyTtft } = upstreamMode(engine, call, s);
  const firstTokenTimeoutMs = Math.min(
    MAX_TIMER_MS,
    Math.max(
      t.firstTokenFloorMs,
      t.firstTokenMultiplier * (plainUpstream ? wholeAnswerMs : healthyTtft),
    ),
  );

  // A Responses call goes as it is to an endpoint that speaks the Responses API; every other call
  // (and a Responses call, translated) goes as a chat completion.
  const codec = facts.responses && e.responsesApi === 'native' ? responsesCodec : chatCodec;
  let result: AttemptResult;
  try {
    result = await runAttempt({
      endpoint: e,
      codec,
      body: codec.body(facts, e.model, !plainUpstream),
      callerStream: facts.stream,
      wholeAnswer: plainUpstream,
      headers: headersFor(e.headers, call, telemetry?.headers),
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
    recordFailure(engine, call, s, failure, track, config.now() - started, undefined);
    throw failure;
  }

  if (result.kind === 'completion') {
    // Asked plain (or a server that ignored `stream: true`): the whole answer at once.
    release();
    const now = config.now();
    const latencyMs = now - started;
    const usage = result.completion.usage;
    if (usage && usage.completion_tokens > 0) {
      const decodeMs = Math.max(0, latencyMs - healthyTtft);
      s.tpot.observe(decodeMs / usage.completion_tokens, now);
    }
    const costUsd = recordSuccess(
      engine,
      call,
      s,
      usage,
      undefined,
      latencyMs,
      track,
      result.completion,
    );
    return { kind: 'completion', completion: result.completion, served: s, costUsd };
  }

  const ttftMs = result.ttftMs;
  s.observeTtft(ttftMs, promptTokens, config.now());
  let settle: (settlement: StreamSettlement) => void = () => {};
  const settled = new Promise<StreamSettlement>((resolve) => {
    settle = resolve;
  });
  const onSettle = (outcome: StreamOutcome) => {
    release();
    result.unlink();
    const now = config.now();
    const latencyMs = now - started;
    const answered = outcome.ok || outcome.complete;
    let costUsd = 0;
    if (answered) {
      const usage = outcome.ok ? outcome.usage : undefined;
      const tokens = usage?.completion_tokens ?? outcome.contentChunks;
      if (tokens > 1) s.tpot.observe((outcome.lastChunkAt - started - ttftMs) / (tokens - 1), now);
      // A stream cut short by the caller has no usage chunk: book what was generated.
      const booked = usage ?? {
        prompt_tokens: promptTokens,
        completion_tokens: outcome.contentChunks,
        total_tokens: promptTokens + outcome.contentChunks,
      };
      costUsd = recordSuccess(engine, call, s, booked, ttftMs, latencyMs, track, outcome.response);
    } else {
      const aborted = outcome.cancelled || call.abortError() !== undefined;
      const failure = new AttemptFailure(
        outcome.discarded ? 'aborted' : aborted ? 'aborted' : streamFailureClass(outcome.error),
        outcome.discarded ? `Attempt on ${e.id} lost the hedge race` : outcome.error.message,
      );
      recordFailure(
        engine,
        call,
        s,
        failure,
        track,
        latencyMs,
        outcome.response,
        outcome.discarded,
      );
    }
    if (facts.stream && !(!outcome.ok && outcome.discarded)) {
      // The caller holds this stream: its end is the call's end.
      if (answered) {
        call.onServed?.(s);
        engine.recordAnswered(s, outcome.ok ? outcome.usage : undefined);
        emitRequestEnd(
          engine,
          call,
          s,
          ttftMs,
          outcome.ok ? outcome.usage : undefined,
          costUsd,
          true,
          outcome.response,
        );
        call.finish(true);
      } else {
        const error = call.abortError() ?? outcome.error;
        engine.recordCallFailed();
        emitRequestError(engine, call, outcome.cancelled ? 'aborted' : error.code, error.message);
        call.finish(false);
      }
    }
    settle({ ok: answered, costUsd });
  };
  const stream = new RouterStream({
    requestId: call.requestId,
    endpointId: e.id,
    tier: e.tier,
    head: result.head,
    ended: result.ended,
    rest: result.rest,
    codec,
    controller: result.controller,
    // A plain call assembles its completion from the stream, usage chunk included.
    streamUsage: facts.streamUsage || !facts.stream,
    secrets: e.secrets,
    stallMs: t.stallMs,
    now: config.now,
    abortError: call.abortError,
    onSettle,
  });
  return { kind: 'stream', stream, served: s, settled };
}

function recordSuccess(
  engine: Engine,
  call: Call,
  s: EndpointSignals,
  usage: CompletionUsage | undefined,
  ttftMs: number | undefined,
  latencyMs: number,
  track: Track,
  response: ResponseSource,
): number {
  const config = engine.config;
  s.calls++;
  s.latencyMs.add(latencyMs);
  if (s.penalty.value) s.penalty.observe(0, config.now());
  const transition = s.health.recordSuccess();
  if (transition === 'restore') emitRestore(engine, s, call.requestId, 'call');
  engine.fleet?.shareHealth(s);
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
  engine.emit('attempt:end', () => ({
    requestId: call.requestId,
    timestamp: Date.now(),
    endpointId: s.endpoint.id,
    tier: s.endpoint.tier,
    attempt: track.attempt,
    durationMs: latencyMs,
    ttftMs,
  }));
  track.telemetry?.end({
    ok: true,
    durationMs: latencyMs,
    ttftMs,
    usage,
    costUsd,
    response: 'choices' in response ? responseMetaOf(response) : response,
  });
  return costUsd;
}

function recordFailure(
  engine: Engine,
  call: Call,
  s: EndpointSignals,
  failure: AttemptFailure,
  track: Track,
  durationMs: number,
  response: ResponseMeta | undefined,
  discarded = false,
): void {
  logAttempt(call, s, failure, durationMs);
  emitAttemptError(engine, call, s, failure, track.attempt, durationMs);
  track.telemetry?.end({
    ok: false,
    durationMs,
    failure: failure.failure,
    status: failure.status,
    message: failure.message,
    lostHedge: discarded || track.lane.reason === HEDGE_LOST,
    response,
  });
  s.health.endAttempt();
  // The caller's own mistakes and aborts (and a lost hedge) say nothing of the endpoint's health.
  if (
    failure.failure === 'client' ||
    failure.failure === 'aborted' ||
    failure.failure === 'context_length'
  ) {
    return;
  }
  const now = engine.config.now();
  s.calls++;
  s.errors++;
  if (failure.failure === 'timeout') {
    // Peak-EWMA penalty: the endpoint was at least this slow, so it loses traffic at once.
    s.penalty.observe(durationMs, now);
  }
  if (failure.retryAfterMs !== undefined) s.health.holdUntil(now + failure.retryAfterMs);
  const permanent = failure.failure === 'misconfigured';
  if (s.health.recordFailure(now, failure.message, permanent) === 'eject') {
    emitEject(engine, s, call.requestId, failure.message);
  }
  engine.fleet?.shareHealth(s);
}

function logAttempt(call: Call, s: EndpointSignals, failure: AttemptFailure, durationMs: number) {
  call.attempts.push({
    endpointId: s.endpoint.id,
    tier: s.endpoint.tier,
    failure: failure.failure,
    status: failure.status,
    message: failure.message,
    durationMs,
  });
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
  'x-tiered-request-id',
]);

function headersFor(
  base: Readonly<Record<string, string>>,
  call: Call,
  trace: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
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
  // The attempt's own trace context (its span) replaces the caller's: the endpoint's work is a
  // child of this attempt, which is a child of the caller's span.
  if (trace) for (const name in trace) headers[name.toLowerCase()] = trace[name] as string;
  return headers;
}
