import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  ConsoleMetricExporter,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { openTelemetry } from '@tiered/sdk/otel';
import { edgeEndpoint, originEndpoint } from '../shared/example-endpoints.js';
import type { ExampleOptions } from '../shared/example-options.js';
import { withRouter } from '../shared/with-router.js';

/** Options of the `otel` example. */
export interface OtelExampleOptions extends ExampleOptions {
  /** Also print every span and metric with OpenTelemetry's console exporters. @default true */
  readonly consoleExporter?: boolean | undefined;
}

/** One finished span, as the example reports it. */
export interface SpanSummary {
  readonly name: string;
  /** Name of the parent span, `undefined` for a root. */
  readonly parent: string | undefined;
  readonly status: 'unset' | 'ok' | 'error';
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** What `otel` shows: the span tree, the traceparents the endpoints received, the metrics. */
export interface OtelResult {
  readonly spans: readonly SpanSummary[];
  /** Per attempt span: the `traceparent` its endpoint received was that span's own. */
  readonly propagated: readonly { readonly attempt: string; readonly received: boolean }[];
  /** Data points per GenAI metric: count of recordings. */
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * `createRouter({ telemetry: openTelemetry() })`: every call becomes a CLIENT span `chat {model}`
 * (GenAI semantic conventions) under the application's own span, with a child span per attempt
 * whose `traceparent` goes to the endpoint; metrics record duration, tokens and time to first
 * chunk per tier and endpoint. A plain call, a stream, and a failover from a failing edge.
 */
export async function run(options: OtelExampleOptions = {}): Promise<OtelResult> {
  const log = options.log ?? console.log;
  // The application's OpenTelemetry set-up (NodeSDK does the same): a context manager, the W3C
  // propagator, a tracer and a meter provider.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const memory = new InMemorySpanExporter();
  const processors: SpanProcessor[] = [new SimpleSpanProcessor(memory)];
  if (options.consoleExporter !== false) {
    processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  }
  const tracerProvider = new BasicTracerProvider({ spanProcessors: processors });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const readers = [
    new PeriodicExportingMetricReader({
      exporter: metricExporter,
      exportIntervalMillis: 3_600_000,
    }),
  ];
  if (options.consoleExporter !== false) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new ConsoleMetricExporter(),
        exportIntervalMillis: 3_600_000,
      }),
    );
  }
  const meterProvider = new MeterProvider({ readers });

  if (options.consoleExporter !== false) {
    log(
      'OpenTelemetry console exporters print each span and metric as it ends; a summary follows.\n',
    );
  }
  try {
    const topology = [edgeEndpoint('edge-1'), originEndpoint()];
    const routerOptions = { telemetry: openTelemetry({ tracerProvider, meterProvider }) };
    return await withRouter(
      topology,
      { ...options, router: routerOptions },
      async (router, mock) => {
        const tracer = tracerProvider.getTracer('research-agent');
        await tracer.startActiveSpan('agent task', async (task) => {
          const messages = [{ role: 'user' as const, content: 'Name three prime numbers.' }];
          await router.chat.completions.create({ messages, max_tokens: 16, temperature: 0.2 });
          const stream = await router.chat.completions.create({
            messages,
            max_tokens: 16,
            stream: true,
          });
          for await (const _ of stream);
          // The edge starts failing: the next call fails over to the origin — two attempt spans.
          await mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 503 } });
          await router.chat.completions.create({ messages, max_tokens: 16 });
          task.end();
        });
        // The call spans end in a microtask after their answer: let them.
        await new Promise((resolve) => setImmediate(resolve));

        const finished = memory.getFinishedSpans();
        log('Span tree (what a trace back end shows):');
        for (const line of tree(finished)) log(line);

        const received = new Set(
          ['edge-1', 'origin'].flatMap((id) =>
            mock
              .endpoint(id)
              .stats()
              .traceHeaders.map((t) => t.traceparent),
          ),
        );
        const propagated = finished
          .filter((s) => s.name.startsWith('attempt '))
          .map((s) => ({
            attempt: `${s.name} (${s.attributes['tiered.attempt.kind']}) span ${s.spanContext().spanId}`,
            received: received.has(`00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`),
          }));
        log('\nEach endpoint received its attempt span as `traceparent`:');
        for (const p of propagated) log(`  ${p.attempt.padEnd(48)} ${p.received ? 'yes' : 'NO'}`);

        await meterProvider.forceFlush();
        const counts: Record<string, number> = {};
        for (const m of metricExporter
          .getMetrics()
          .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))) {
          counts[m.descriptor.name] = (m.dataPoints as DataPoint<Histogram>[]).reduce(
            (n, p) => n + p.value.count,
            0,
          );
        }
        log('\nGenAI client metrics (recordings):');
        for (const [name, n] of Object.entries(counts)) log(`  ${name.padEnd(45)} ${n}`);

        return { spans: finished.map((s) => summary(s, finished)), propagated, metrics: counts };
      },
    );
  } finally {
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
    context.disable();
    propagation.disable();
  }
}

const STATUS = ['unset', 'ok', 'error'] as const;

function summary(span: ReadableSpan, all: readonly ReadableSpan[]): SpanSummary {
  const parentId = span.parentSpanContext?.spanId;
  return {
    name: span.name,
    parent: all.find((s) => s.spanContext().spanId === parentId)?.name,
    status: STATUS[span.status.code] ?? 'unset',
    attributes: span.attributes,
  };
}

// An indented tree, children in start order, with the attributes worth reading at a glance.
function tree(spans: readonly ReadableSpan[]): string[] {
  const lines: string[] = [];
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const children = (parent: string | undefined) =>
    spans
      .filter((s) => {
        const p = s.parentSpanContext?.spanId;
        return parent === undefined ? p === undefined || !ids.has(p) : p === parent;
      })
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  const walk = (span: ReadableSpan, depth: number) => {
    const a = span.attributes;
    const ms = span.duration[0] * 1e3 + span.duration[1] / 1e6;
    const facts = [
      a['tiered.endpoint.id'] && !span.name.startsWith('attempt ')
        ? `→ ${a['tiered.endpoint.id']}`
        : '',
      a['tiered.attempt.kind'] ? `${a['tiered.attempt.kind']}` : '',
      a['gen_ai.response.id'] ? `id ${a['gen_ai.response.id']}` : '',
      a['gen_ai.response.finish_reasons'] ? `finish ${a['gen_ai.response.finish_reasons']}` : '',
      a['gen_ai.usage.output_tokens'] !== undefined
        ? `tokens ${a['gen_ai.usage.input_tokens']}/${a['gen_ai.usage.output_tokens']}`
        : '',
      typeof a['gen_ai.response.time_to_first_chunk'] === 'number'
        ? `first chunk ${(a['gen_ai.response.time_to_first_chunk'] * 1000).toFixed(0)} ms`
        : '',
      a['error.type'] ? `error.type ${a['error.type']}` : '',
    ].filter(Boolean);
    lines.push(
      `${'  '.repeat(depth)}${depth > 0 ? '└ ' : ''}${span.name} (${ms.toFixed(0)} ms) ${facts.join(' · ')}`,
    );
    for (const child of children(span.spanContext().spanId)) walk(child, depth + 1);
  };
  for (const root of children(undefined)) walk(root, 0);
  return lines;
}
