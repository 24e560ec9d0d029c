import type { CompletionUsage } from 'openai/resources/completions';
import type { FailureClass } from './errors.js';
import type {
  AttemptKind,
  RequestEndEvent,
  RequestErrorEvent,
  RequestParams,
  ResponseMeta,
} from './events.js';

/**
 * A tracing/metrics back end the router reports each call to: `createRouter({ telemetry })`.
 * `@tiered/sdk/otel`'s `openTelemetry()` is one; any object of this shape is another. The router
 * never imports a telemetry library: with no `telemetry` option nothing of this runs.
 *
 * The router holds the handles it is given (one per call, one per attempt), so an implementation
 * keeps its per-call state on them — no map from request ids, nothing to leak if a call is dropped.
 * Handles are called synchronously on the router's path: keep them cheap, and never throw.
 */
export interface Telemetry {
  /** A call begins (after its options and body were checked). `undefined` ignores this call. */
  startCall(call: TelemetryCallStart): TelemetryCall | undefined;
}

/** What a call's start tells telemetry. Never prompt text, keys or caller headers other than trace context. */
export interface TelemetryCallStart {
  readonly requestId: string;
  /** `body.model` as the caller gave it (`undefined`: routed among all). */
  readonly model: string | undefined;
  readonly stream: boolean;
  readonly sessionId: string | undefined;
  readonly params: RequestParams;
  /**
   * W3C trace context the caller sent (`traceparent`, `tracestate`, `baggage`; lower-case names),
   * from `options.headers` or `router.fetch`'s request headers; `undefined` when there was none.
   */
  readonly traceHeaders: Readonly<Record<string, string>> | undefined;
}

/** One call's telemetry handle. */
export interface TelemetryCall {
  /** The policy chose the first endpoint, for this reason (`route:select`'s `reason`). */
  route(reason: string): void;
  /** An attempt holds a slot and is about to be sent. */
  startAttempt(attempt: TelemetryAttemptStart): TelemetryAttempt;
  /** The call ended: the `request:end` or `request:error` payload. Called once. */
  end(result: RequestEndEvent | RequestErrorEvent): void;
}

/** What an attempt's start tells telemetry. */
export interface TelemetryAttemptStart {
  readonly endpointId: string;
  readonly tier: string;
  /** The model the endpoint receives upstream. */
  readonly model: string;
  /** Host of the endpoint's `baseURL`. */
  readonly serverAddress: string;
  /** Port of the endpoint's `baseURL` (the scheme's default when it names none). */
  readonly serverPort: number;
  /** 1-based attempt number within the call. */
  readonly attempt: number;
  readonly kind: AttemptKind;
  /** Time the attempt waited for a slot, in ms (0 when it did not queue). */
  readonly queuedMs: number;
}

/** One attempt's telemetry handle. */
export interface TelemetryAttempt {
  /**
   * Headers to send upstream with this attempt (e.g. `traceparent`), over the caller's own trace
   * headers; `undefined` for none.
   */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** The attempt ended. Called once. */
  end(result: TelemetryAttemptEnd): void;
}

/** How an attempt ended. */
export type TelemetryAttemptEnd =
  | {
      readonly ok: true;
      readonly durationMs: number;
      /** Time to the first content token, in ms; `undefined` when the answer came in one piece. */
      readonly ttftMs: number | undefined;
      readonly usage: CompletionUsage | undefined;
      readonly costUsd: number;
      readonly response: ResponseMeta;
    }
  | {
      readonly ok: false;
      readonly durationMs: number;
      readonly failure: FailureClass;
      readonly status: number | undefined;
      /** Redacted, never prompt text. */
      readonly message: string;
      /** Aborted because the other lane of a hedge won: not an error of this endpoint. */
      readonly lostHedge: boolean;
      /** For a stream that broke after content: what had arrived. */
      readonly response: ResponseMeta | undefined;
    };
