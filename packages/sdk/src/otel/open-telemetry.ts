import { type MeterProvider, metrics, type TracerProvider, trace } from '@opentelemetry/api';
import { fail, isObject, noUnknownKeys, requiredString } from '../internal/validate.js';
import type { Telemetry, TelemetryCall, TelemetryCallStart } from '../telemetry.js';
import { type GenAiMetrics, genAiMetrics } from './gen-ai-metrics.js';
import { MetricAttributeCache } from './metric-attribute-cache.js';
import { OtelCall, type OtelShared } from './otel-call.js';

/** Options of {@link openTelemetry}. */
export interface OpenTelemetryOptions {
  /** Where spans go. @default the global tracer provider (`trace.getTracerProvider()`) */
  readonly tracerProvider?: TracerProvider | undefined;
  /**
   * Where the GenAI client metrics go. @default the global meter provider, looked up at the first
   * call (so one registered after `openTelemetry()` but before the first call is used)
   */
  readonly meterProvider?: MeterProvider | undefined;
  /**
   * Send each attempt's trace context upstream (`traceparent`, `tracestate`, … through the
   * global propagator), so the endpoint's spans join the trace. Turn off when an HTTP client
   * instrumentation already injects its own. @default true
   */
  readonly propagate?: boolean | undefined;
  /**
   * `gen_ai.provider.name` on spans and metrics: the API flavour the endpoints speak.
   * @default 'openai' (OpenAI-compatible chat completions)
   */
  readonly providerName?: string | undefined;
}

const SCOPE = '@tiered/sdk';

/**
 * OpenTelemetry traces and metrics for a router, following the GenAI semantic conventions:
 * `createRouter({ endpoints, telemetry: openTelemetry() })`. Each call is a CLIENT span
 * `chat {model}` (a child of the active context, or of `router.fetch`'s incoming `traceparent`)
 * with one child span per attempt; each attempt's upstream request carries its `traceparent`.
 * Records `gen_ai.client.operation.duration`, `gen_ai.client.token.usage` and
 * `gen_ai.client.operation.time_to_first_chunk`. Never prompt text, answers or keys.
 * Throws a `ConfigError` naming the field for bad options.
 *
 * @example
 * import { createRouter } from '@tiered/sdk';
 * import { openTelemetry } from '@tiered/sdk/otel';
 * const router = createRouter({ endpoints, telemetry: openTelemetry() });
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): Telemetry {
  if (!isObject(options)) fail('openTelemetry', 'an object', options);
  noUnknownKeys('openTelemetry', options as Record<string, unknown>, [
    'tracerProvider',
    'meterProvider',
    'propagate',
    'providerName',
  ]);
  const { tracerProvider, meterProvider, propagate, providerName } = options as Record<
    string,
    unknown
  >;
  if (tracerProvider !== undefined && !hasMethod(tracerProvider, 'getTracer')) {
    fail('openTelemetry.tracerProvider', 'a TracerProvider (with `getTracer`)', tracerProvider);
  }
  if (meterProvider !== undefined && !hasMethod(meterProvider, 'getMeter')) {
    fail('openTelemetry.meterProvider', 'a MeterProvider (with `getMeter`)', meterProvider);
  }
  if (propagate !== undefined && typeof propagate !== 'boolean') {
    fail('openTelemetry.propagate', 'a boolean', propagate);
  }
  const provider =
    providerName === undefined
      ? 'openai'
      : requiredString('openTelemetry.providerName', providerName);
  return new OpenTelemetry(
    tracerProvider as TracerProvider | undefined,
    meterProvider as MeterProvider | undefined,
    (propagate as boolean | undefined) ?? true,
    provider,
  );
}

class OpenTelemetry implements Telemetry {
  readonly #tracerProvider: TracerProvider | undefined;
  readonly #meterProvider: MeterProvider | undefined;
  readonly #propagate: boolean;
  readonly #provider: string;
  #shared: OtelShared | undefined;

  constructor(
    tracerProvider: TracerProvider | undefined,
    meterProvider: MeterProvider | undefined,
    propagate: boolean,
    provider: string,
  ) {
    this.#tracerProvider = tracerProvider;
    this.#meterProvider = meterProvider;
    this.#propagate = propagate;
    this.#provider = provider;
  }

  startCall(call: TelemetryCallStart): TelemetryCall {
    // Resolved at the first call: the global meter provider is no proxy, and applications often
    // register their SDK after building the router.
    if (!this.#shared) {
      const cache = new MetricAttributeCache(this.#provider);
      this.#shared = {
        tracer: (this.#tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE),
        metrics: this.#metrics(),
        provider: this.#provider,
        propagate: this.#propagate,
        metricAttributes: (requestModel, endpoint, responseModel, errorType) =>
          cache.get(requestModel, endpoint, responseModel, errorType),
      };
    }
    return new OtelCall(this.#shared, call);
  }

  #metrics(): GenAiMetrics {
    return genAiMetrics((this.#meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE));
  }
}

function hasMethod(value: unknown, name: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)[name] === 'function'
  );
}
