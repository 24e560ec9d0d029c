import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { TieredErrorCode } from '../errors.js';
import type { RequestEndEvent, RequestErrorEvent, ResponseMeta } from '../events.js';
import type { RoutePlan } from '../policy/plan-route.js';
import type { EndpointSignals } from '../signals/endpoint-signals.js';
import type { AttemptFailure } from './attempt-failure.js';
import type { Call, Engine } from './engine.js';
import { responseMetaOf } from './response-meta.js';

/** The events dispatch emits, each built only when someone listens (see `Engine.emit`). */

export function emitRouteSelect(engine: Engine, call: Call, p: RoutePlan): void {
  const primary = p.order[0];
  if (!primary) return;
  call.telemetry?.route(p.reason);
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

export function emitAttemptError(
  engine: Engine,
  call: Call,
  s: EndpointSignals,
  failure: AttemptFailure,
  attempt: number,
  durationMs: number,
): void {
  engine.emit('attempt:error', () => ({
    requestId: call.requestId,
    timestamp: Date.now(),
    endpointId: s.endpoint.id,
    tier: s.endpoint.tier,
    attempt,
    failure: failure.failure,
    status: failure.status,
    message: failure.message,
    durationMs,
  }));
}

export function emitEject(
  engine: Engine,
  s: EndpointSignals,
  requestId: string | undefined,
  reason: string,
): void {
  engine.emit('endpoint:eject', () => ({
    requestId,
    timestamp: Date.now(),
    endpointId: s.endpoint.id,
    tier: s.endpoint.tier,
    reason,
    consecutiveFailures: s.health.consecutiveFailures,
  }));
}

export function emitRestore(
  engine: Engine,
  s: EndpointSignals,
  requestId: string | undefined,
  via: 'call' | 'probe' | 'fleet',
): void {
  engine.emit('endpoint:restore', () => ({
    requestId,
    timestamp: Date.now(),
    endpointId: s.endpoint.id,
    tier: s.endpoint.tier,
    via,
  }));
}

// The call's end is emitted in a microtask: the caller's promise settles first, and a listener
// runs before the caller's code resumes all the same. Telemetry gets the same payload, built once.

/** Where a call's answer came from: a whole completion, or what a stream noted as it passed. */
export type ResponseSource = ChatCompletion | ResponseMeta;

export function emitRequestEnd(
  engine: Engine,
  call: Call,
  s: EndpointSignals,
  ttftMs: number | undefined,
  usage: CompletionUsage | undefined,
  costUsd: number,
  stream: boolean,
  response: ResponseSource,
): void {
  const latencyMs = engine.config.now() - call.startedAt;
  const attempts = call.counts.attempts;
  queueMicrotask(() => {
    let payload: RequestEndEvent | undefined;
    const make = (): RequestEndEvent => {
      if (payload) return payload;
      const meta = 'choices' in response ? responseMetaOf(response) : response;
      payload = {
        requestId: call.requestId,
        timestamp: Date.now(),
        endpointId: s.endpoint.id,
        tier: s.endpoint.tier,
        attempts,
        latencyMs,
        ttftMs,
        usage,
        costUsd,
        stream,
        responseId: meta.id,
        responseModel: meta.model,
        finishReasons: meta.finishReasons,
      };
      return payload;
    };
    engine.emit('request:end', make);
    call.telemetry?.end(make());
  });
}

export function emitRequestError(
  engine: Engine,
  call: Call,
  code: TieredErrorCode,
  message: string,
): void {
  const latencyMs = engine.config.now() - call.startedAt;
  const attempts = call.counts.attempts;
  queueMicrotask(() => {
    let payload: RequestErrorEvent | undefined;
    const make = (): RequestErrorEvent =>
      (payload ??= {
        requestId: call.requestId,
        timestamp: Date.now(),
        code,
        message,
        attempts,
        latencyMs,
      });
    engine.emit('request:error', make);
    call.telemetry?.end(make());
  });
}
