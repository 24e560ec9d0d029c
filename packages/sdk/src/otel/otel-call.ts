import {
  type Attributes,
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { RequestEndEvent, RequestErrorEvent, ResponseMeta } from '../events.js';
import type {
  TelemetryAttempt,
  TelemetryAttemptEnd,
  TelemetryAttemptStart,
  TelemetryCall,
  TelemetryCallStart,
} from '../telemetry.js';
import type { GenAiMetrics } from './gen-ai-metrics.js';

/** What every call of one `openTelemetry()` shares. */
export interface OtelShared {
  readonly tracer: Tracer;
  readonly metrics: GenAiMetrics;
  /** `gen_ai.provider.name`. */
  readonly provider: string;
  /** Inject each attempt's trace context upstream. */
  readonly propagate: boolean;
  /** The metric attributes of a call's outcome (shared objects: see `MetricAttributeCache`). */
  metricAttributes(
    requestModel: string,
    endpoint: TelemetryAttemptStart | undefined,
    responseModel: string | undefined,
    errorType: string | undefined,
  ): MetricAttributes;
}

/** The attribute sets one call's metrics are recorded with. */
export interface MetricAttributes {
  /** Duration and time to first chunk. */
  readonly call: Attributes;
  /** Token usage, `gen_ai.token.type: input` / `output`. */
  readonly input: Attributes;
  readonly output: Attributes;
}

/**
 * One call as OpenTelemetry sees it: a CLIENT span `chat {model}` (GenAI semantic conventions),
 * a child span per attempt, and the GenAI client metrics when it ends.
 */
export class OtelCall implements TelemetryCall {
  readonly #shared: OtelShared;
  readonly #span: Span;
  /** The call span's context: every attempt span is its child, whatever context is active then. */
  readonly #context: Context;
  readonly #requestModel: string;
  /** Attempts started, to find the serving endpoint's address and the last failure's answer. */
  readonly #attempts: TelemetryAttemptStart[] = [];
  #lastResponse: ResponseMeta | undefined;
  #ended = false;

  constructor(shared: OtelShared, start: TelemetryCallStart) {
    this.#shared = shared;
    this.#requestModel = start.model ?? 'auto';
    let parent = context.active();
    // router.fetch's (or options.headers') traceparent parents the call, through the propagator
    // the application configured.
    if (start.traceHeaders) parent = propagation.extract(parent, start.traceHeaders);
    const attributes: Attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': shared.provider,
      'gen_ai.request.model': this.#requestModel,
      'tiered.request.id': start.requestId,
    };
    if (start.stream) attributes['gen_ai.request.stream'] = true;
    if (start.sessionId !== undefined) attributes['tiered.session.id'] = start.sessionId;
    const p = start.params;
    if (p.maxTokens !== undefined) attributes['gen_ai.request.max_tokens'] = p.maxTokens;
    if (p.temperature !== undefined) attributes['gen_ai.request.temperature'] = p.temperature;
    if (p.topP !== undefined) attributes['gen_ai.request.top_p'] = p.topP;
    if (p.frequencyPenalty !== undefined) {
      attributes['gen_ai.request.frequency_penalty'] = p.frequencyPenalty;
    }
    if (p.presencePenalty !== undefined) {
      attributes['gen_ai.request.presence_penalty'] = p.presencePenalty;
    }
    if (p.stopSequences !== undefined) {
      attributes['gen_ai.request.stop_sequences'] = p.stopSequences as string[];
    }
    if (p.seed !== undefined) attributes['gen_ai.request.seed'] = p.seed;
    if (p.choiceCount !== undefined && p.choiceCount !== 1) {
      attributes['gen_ai.request.choice.count'] = p.choiceCount;
    }
    if (p.reasoningEffort !== undefined) {
      attributes['gen_ai.request.reasoning.level'] = p.reasoningEffort;
    }
    if (p.responseFormat !== undefined) {
      attributes['gen_ai.output.type'] = p.responseFormat === 'text' ? 'text' : 'json';
    }
    this.#span = shared.tracer.startSpan(
      `chat ${this.#requestModel}`,
      { kind: SpanKind.CLIENT, attributes },
      parent,
    );
    this.#context = trace.setSpan(parent, this.#span);
  }

  /** What an attempt's answer said: a call that fails after content reports it. */
  noteResponse(response: ResponseMeta): void {
    this.#lastResponse = response;
  }

  route(reason: string): void {
    this.#span.setAttribute('tiered.route.reason', reason);
  }

  startAttempt(start: TelemetryAttemptStart): TelemetryAttempt {
    this.#attempts.push(start);
    return new OtelAttempt(this, this.#shared, this.#context, start);
  }

  end(result: RequestEndEvent | RequestErrorEvent): void {
    if (this.#ended) return;
    this.#ended = true;
    const span = this.#span;
    const recording = span.isRecording();
    const metrics = this.#shared.metrics;
    let attributes: MetricAttributes;
    if ('code' in result) {
      // Failed: the error code is the low-cardinality error.type; the last attempt names where.
      const last = this.#attempts[this.#attempts.length - 1];
      attributes = this.#shared.metricAttributes(this.#requestModel, last, undefined, result.code);
      if (recording) {
        span.setAttribute('tiered.attempts', result.attempts);
        span.setAttribute('error.type', result.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.message });
        const response = this.#lastResponse;
        if (response) setResponse(span, response);
      }
    } else {
      const served = this.#served(result.endpointId);
      attributes = this.#shared.metricAttributes(
        this.#requestModel,
        served,
        result.responseModel,
        undefined,
      );
      const usage = result.usage;
      if (recording) {
        span.setAttribute('tiered.attempts', result.attempts);
        span.setAttribute('tiered.endpoint.id', result.endpointId);
        span.setAttribute('tiered.tier', result.tier);
        span.setAttribute('tiered.cost_usd', result.costUsd);
        if (served) {
          span.setAttribute('server.address', served.serverAddress);
          span.setAttribute('server.port', served.serverPort);
        }
        if (result.responseId !== undefined)
          span.setAttribute('gen_ai.response.id', result.responseId);
        if (result.responseModel !== undefined) {
          span.setAttribute('gen_ai.response.model', result.responseModel);
        }
        if (result.finishReasons.length > 0) {
          span.setAttribute('gen_ai.response.finish_reasons', result.finishReasons as string[]);
        }
        if (usage) {
          span.setAttribute('gen_ai.usage.input_tokens', usage.prompt_tokens);
          span.setAttribute('gen_ai.usage.output_tokens', usage.completion_tokens);
          const cached = usage.prompt_tokens_details?.cached_tokens;
          if (typeof cached === 'number') {
            span.setAttribute('gen_ai.usage.cache_read.input_tokens', cached);
          }
        }
        if (result.ttftMs !== undefined) {
          span.setAttribute('gen_ai.response.time_to_first_chunk', result.ttftMs / 1000);
        }
      }
      if (usage) {
        metrics.tokens.record(usage.prompt_tokens, attributes.input);
        metrics.tokens.record(usage.completion_tokens, attributes.output);
      }
      if (result.ttftMs !== undefined) {
        metrics.timeToFirstChunk.record(result.ttftMs / 1000, attributes.call);
      }
    }
    metrics.duration.record(result.latencyMs / 1000, attributes.call);
    span.end();
  }

  #served(endpointId: string): TelemetryAttemptStart | undefined {
    for (let i = this.#attempts.length - 1; i >= 0; i--) {
      const a = this.#attempts[i] as TelemetryAttemptStart;
      if (a.endpointId === endpointId) return a;
    }
    return undefined;
  }
}

/** One attempt: a CLIENT span, child of the call's, whose context goes upstream as `traceparent`. */
class OtelAttempt implements TelemetryAttempt {
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly #span: Span;
  readonly #call: OtelCall;
  #ended = false;

  constructor(call: OtelCall, shared: OtelShared, parent: Context, start: TelemetryAttemptStart) {
    this.#call = call;
    const attributes: Attributes = {
      'http.request.method': 'POST',
      'server.address': start.serverAddress,
      'server.port': start.serverPort,
      'gen_ai.request.model': start.model,
      'tiered.endpoint.id': start.endpointId,
      'tiered.tier': start.tier,
      'tiered.attempt': start.attempt,
      'tiered.attempt.kind': start.kind,
    };
    if (start.queuedMs > 0) attributes['tiered.queue.wait_ms'] = start.queuedMs;
    this.#span = shared.tracer.startSpan(
      `attempt ${start.endpointId}`,
      { kind: SpanKind.CLIENT, attributes },
      parent,
    );
    let headers: Record<string, string> | undefined;
    if (shared.propagate) {
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(parent, this.#span), carrier);
      for (const _ in carrier) {
        headers = carrier;
        break;
      }
    }
    this.headers = headers;
  }

  end(result: TelemetryAttemptEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    const span = this.#span;
    if (result.response) this.#call.noteResponse(result.response);
    if (!span.isRecording()) {
      span.end();
      return;
    }
    if (result.response) setResponse(span, result.response);
    if (result.ok) {
      span.setAttribute('tiered.cost_usd', result.costUsd);
      if (result.ttftMs !== undefined) span.setAttribute('tiered.ttft_ms', result.ttftMs);
    } else {
      if (result.status !== undefined)
        span.setAttribute('http.response.status_code', result.status);
      if (result.lostHedge) {
        // The other lane answered first: this endpoint did nothing wrong.
        span.setAttribute('tiered.hedge.lost', true);
      } else {
        span.setAttribute('error.type', result.failure);
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.message });
      }
    }
    span.end();
  }
}

function setResponse(span: Span, response: ResponseMeta): void {
  if (response.id !== undefined) span.setAttribute('gen_ai.response.id', response.id);
  if (response.model !== undefined) span.setAttribute('gen_ai.response.model', response.model);
  if (response.finishReasons.length > 0) {
    span.setAttribute('gen_ai.response.finish_reasons', response.finishReasons as string[]);
  }
}
