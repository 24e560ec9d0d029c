import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Attributes,
  context,
  metrics,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, createRouter, routeOf, StreamInterruptedError } from '../src/index.js';
import { openTelemetry } from '../src/otel.js';
import { edgeProfile, type Lab, originProfile, startLab } from './two-tier.js';

// One OpenTelemetry SDK per test, in memory: spans through a SimpleSpanProcessor, metrics read on
// demand. Context and propagation are the global API's, as in an application.
let spanExporter: InMemorySpanExporter;
let tracerProvider: BasicTracerProvider;
let metricExporter: InMemoryMetricExporter;
let metricReader: PeriodicExportingMetricReader;
let meterProvider: MeterProvider;
let lab: Lab | undefined;

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  context.disable();
  propagation.disable();
});
beforeEach(() => {
  spanExporter = new InMemorySpanExporter();
  tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spanExporter)],
  });
  metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  metricReader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  meterProvider = new MeterProvider({ readers: [metricReader] });
});
afterEach(async () => {
  await lab?.close();
  lab = undefined;
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  trace.disable();
  metrics.disable();
});

const withOtel = (profiles = [edgeProfile('edge-1'), originProfile()], extra = {}) =>
  startLab(profiles, { telemetry: openTelemetry({ tracerProvider, meterProvider }), ...extra });

const PROMPT = 'What is the capital of the secret prompt land?';
const ask = (extra: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user' as const, content: PROMPT }],
  max_tokens: 8,
  ...extra,
});

const askStream = () => ({ ...ask(), stream: true as const });

const spans = () => spanExporter.getFinishedSpans();
const callSpans = () => spans().filter((s) => s.name.startsWith('chat '));
const attemptSpans = () =>
  spans()
    .filter((s) => s.name.startsWith('attempt '))
    .sort(
      (a, b) => Number(a.attributes['tiered.attempt']) - Number(b.attributes['tiered.attempt']),
    );
const id = (s: ReadableSpan) => s.spanContext().spanId;
const traceparentOf = (s: ReadableSpan) => `00-${s.spanContext().traceId}-${id(s)}-01`;
const portOf = (lab: Lab, endpoint: string) =>
  Number(new URL(lab.mock.endpoint(endpoint).baseURL).port);
// The call span ends in a microtask after the caller's promise settles (as request:end does).
const settled = () => new Promise((resolve) => setImmediate(resolve));

async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('openTelemetry(): spans', () => {
  it('a plain call: a CLIENT span `chat auto` under the caller’s span, one attempt span, GenAI attributes', async () => {
    lab = await withOtel();
    const tracer = tracerProvider.getTracer('app');
    const completion = await tracer.startActiveSpan('agent step', async (parent) => {
      try {
        return await lab?.router.chat.completions.create(
          ask({ temperature: 0.2, top_p: 0.9, stop: ['\n'], seed: 3 }),
        );
      } finally {
        parent.end();
      }
    });
    await settled();
    const parent = spans().find((s) => s.name === 'agent step') as ReadableSpan;
    const [call] = callSpans();
    const [attempt] = attemptSpans();
    expect(callSpans()).toHaveLength(1);
    expect(attemptSpans()).toHaveLength(1);
    if (!call || !attempt || !completion) throw new Error('missing spans');

    expect(call.name).toBe('chat auto');
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.parentSpanContext?.spanId).toBe(id(parent));
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'auto',
      'gen_ai.request.max_tokens': 8,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.stop_sequences': ['\n'],
      'gen_ai.request.seed': 3,
      'gen_ai.response.id': completion.id,
      'gen_ai.response.model': 'edge-model',
      'gen_ai.response.finish_reasons': [completion.choices[0]?.finish_reason],
      'gen_ai.usage.input_tokens': completion.usage?.prompt_tokens,
      'gen_ai.usage.output_tokens': completion.usage?.completion_tokens,
      'server.address': '127.0.0.1',
      'server.port': portOf(lab, 'edge-1'),
      'tiered.request.id': routeOf(completion)?.requestId,
      'tiered.endpoint.id': 'edge-1',
      'tiered.tier': 'edge',
      'tiered.attempts': 1,
      'tiered.cost_usd': 0,
    });
    expect(call.attributes['tiered.route.reason']).toEqual(expect.any(String));
    expect(call.attributes['gen_ai.request.stream']).toBeUndefined();

    expect(attempt.name).toBe('attempt edge-1');
    expect(attempt.kind).toBe(SpanKind.CLIENT);
    expect(attempt.parentSpanContext?.spanId).toBe(id(call));
    expect(attempt.attributes).toMatchObject({
      'server.address': '127.0.0.1',
      'server.port': portOf(lab, 'edge-1'),
      'gen_ai.request.model': 'edge-model',
      'tiered.endpoint.id': 'edge-1',
      'tiered.tier': 'edge',
      'tiered.attempt': 1,
      'tiered.attempt.kind': 'primary',
      'gen_ai.response.id': completion.id,
    });
    expect(attempt.attributes['error.type']).toBeUndefined();

    // The endpoint received the attempt span's traceparent, once, with the call's request id.
    const stats = lab.mock.endpoint('edge-1').stats();
    expect(stats.traceHeaders).toEqual([
      { requestId: routeOf(completion)?.requestId, traceparent: traceparentOf(attempt) },
    ]);
    expect(stats.received).toBe(1);

    // Never prompt text, never a key.
    expect(JSON.stringify(spans().map((s) => s.attributes))).not.toContain('secret prompt');
  });

  it('a stream: the call span ends when the stream ends, with the id, model and finish reason of its chunks', async () => {
    lab = await withOtel();
    const stream = await lab.router.chat.completions.create(askStream());
    await settled();
    expect(callSpans()).toHaveLength(0); // still open while the caller reads
    const chunks = await collect(stream);
    await settled();
    const [call] = callSpans();
    const [attempt] = attemptSpans();
    if (!call || !attempt) throw new Error('missing spans');
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(call.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.id': chunks[0]?.id,
      'gen_ai.response.model': 'edge-model',
      'gen_ai.response.finish_reasons': [chunks.at(-1)?.choices[0]?.finish_reason],
      'tiered.endpoint.id': 'edge-1',
    });
    expect(call.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(call.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(attempt.parentSpanContext?.spanId).toBe(id(call));
    expect(attempt.attributes['tiered.ttft_ms']).toBeGreaterThan(0);
    expect(
      lab.mock
        .endpoint('edge-1')
        .stats()
        .traceHeaders.map((t) => t.traceparent),
    ).toEqual([traceparentOf(attempt)]);
  });

  it('a failover: two attempt spans, the first with error.type; each endpoint got its own attempt’s traceparent', async () => {
    lab = await withOtel();
    await lab.mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 503 } });
    const completion = await lab.router.chat.completions.create(ask());
    await settled();
    expect(routeOf(completion)?.endpointId).toBe('origin');
    const [call] = callSpans();
    const [first, second] = attemptSpans();
    expect(attemptSpans()).toHaveLength(2);
    if (!call || !first || !second) throw new Error('missing spans');

    expect(first.attributes).toMatchObject({
      'tiered.endpoint.id': 'edge-1',
      'tiered.attempt': 1,
      'tiered.attempt.kind': 'primary',
      'error.type': 'server',
      'http.response.status_code': 503,
    });
    expect(first.status.code).toBe(SpanStatusCode.ERROR);
    expect(second.attributes).toMatchObject({
      'tiered.endpoint.id': 'origin',
      'tiered.tier': 'origin',
      'tiered.attempt': 2,
      'tiered.attempt.kind': 'failover',
    });
    expect(second.attributes['error.type']).toBeUndefined();
    expect(second.status.code).toBe(SpanStatusCode.UNSET);
    for (const a of [first, second]) expect(a.parentSpanContext?.spanId).toBe(id(call));

    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(call.attributes).toMatchObject({
      'tiered.attempts': 2,
      'tiered.endpoint.id': 'origin',
      'gen_ai.response.model': 'origin-model',
      'server.port': portOf(lab, 'origin'),
    });
    expect(
      lab.mock
        .endpoint('edge-1')
        .stats()
        .traceHeaders.map((t) => t.traceparent),
    ).toEqual([traceparentOf(first)]);
    expect(
      lab.mock
        .endpoint('origin')
        .stats()
        .traceHeaders.map((t) => t.traceparent),
    ).toEqual([traceparentOf(second)]);
  });

  it('a stream cut mid-way: error status on the call and its attempt, finish reason `error`', async () => {
    lab = await withOtel();
    await lab.mock.endpoint('edge-1').control({ faults: { disconnectRate: 1 } });
    const stream = await lab.router.chat.completions.create(askStream());
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    await settled();
    const [call] = callSpans();
    const [attempt] = attemptSpans();
    if (!call || !attempt) throw new Error('missing spans');
    expect(call.status.code).toBe(SpanStatusCode.ERROR);
    expect(call.attributes).toMatchObject({
      'error.type': 'stream_interrupted',
      'gen_ai.response.finish_reasons': ['error'],
      'tiered.attempts': 1,
    });
    expect(call.attributes['gen_ai.response.id']).toMatch(/^chatcmpl-edge-1-/);
    expect(attempt.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempt.attributes['error.type']).toBe('connection');
  });

  it('a call that fails everywhere: error.type is the error code', async () => {
    lab = await withOtel([edgeProfile('edge-1')], { retry: { retries: 0 } });
    await lab.mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 500 } });
    await expect(lab.router.chat.completions.create(ask())).rejects.toMatchObject({
      code: 'all_attempts_failed',
    });
    await settled();
    const [call] = callSpans();
    expect(call?.status.code).toBe(SpanStatusCode.ERROR);
    expect(call?.attributes['error.type']).toBe('all_attempts_failed');
  });

  it('a hedge: two attempt spans; the loser is marked lost, not failed', async () => {
    lab = await withOtel(undefined, { hedge: { delayMs: 50 } });
    await lab.mock.endpoint('edge-1').control({ faults: { hangRate: 1 } });
    const completion = await lab.router.chat.completions.create(ask());
    expect(routeOf(completion)?.endpointId).toBe('origin');
    await vi.waitFor(() => expect(attemptSpans()).toHaveLength(2));
    const [primary, hedge] = attemptSpans();
    expect(primary?.attributes).toMatchObject({
      'tiered.endpoint.id': 'edge-1',
      'tiered.hedge.lost': true,
    });
    expect(primary?.status.code).toBe(SpanStatusCode.UNSET);
    expect(hedge?.attributes).toMatchObject({
      'tiered.endpoint.id': 'origin',
      'tiered.attempt.kind': 'hedge',
    });
    const call = callSpans()[0];
    for (const a of [primary, hedge]) expect(a?.parentSpanContext?.spanId).toBe(call && id(call));
  });

  it('a session call carries its session id', async () => {
    lab = await withOtel();
    await lab.router.session({ id: 'task-42' }).chat.completions.create(ask());
    await settled();
    expect(callSpans().map((s) => s.attributes['tiered.session.id'])).toEqual(['task-42']);
  });

  it('router.fetch: an incoming traceparent parents the call span; upstream gets the attempt’s', async () => {
    lab = await withOtel();
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const res = await lab.router.fetch('http://tiered.local/v1/chat/completions', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${callerTrace}-${callerSpan}-01`,
      },
      body: JSON.stringify(ask()),
    });
    expect(res.status).toBe(200);
    await res.json();
    await settled();
    const [call] = callSpans();
    const [attempt] = attemptSpans();
    if (!call || !attempt) throw new Error('missing spans');
    expect(call.spanContext().traceId).toBe(callerTrace);
    expect(call.parentSpanContext).toMatchObject({ spanId: callerSpan, isRemote: true });
    expect(
      lab.mock
        .endpoint('edge-1')
        .stats()
        .traceHeaders.map((t) => t.traceparent),
    ).toEqual([traceparentOf(attempt)]);
  });
});

describe('openTelemetry(): metrics', () => {
  function points(name: string): DataPoint<Histogram>[] {
    const found = metricExporter
      .getMetrics()
      .flatMap((r) => r.scopeMetrics)
      .flatMap((s) => s.metrics)
      .filter((m) => m.descriptor.name === name);
    return found.flatMap((m) => m.dataPoints as DataPoint<Histogram>[]);
  }
  const withAttributes = (list: DataPoint<Histogram>[], attributes: Attributes) =>
    list.filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));

  it('operation duration, token usage and time to first chunk, by tier and endpoint', async () => {
    lab = await withOtel();
    const plain = await lab.router.chat.completions.create(ask());
    await collect(await lab.router.chat.completions.create(askStream()));
    await lab.mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 400 } });
    await lab.router.chat.completions.create(ask()).catch(() => {});
    await settled();
    await metricReader.forceFlush();

    const edge = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'auto',
      'gen_ai.response.model': 'edge-model',
      'server.address': '127.0.0.1',
      'server.port': portOf(lab, 'edge-1'),
      'tiered.tier': 'edge',
      'tiered.endpoint.id': 'edge-1',
    };
    const duration = points('gen_ai.client.operation.duration');
    expect(withAttributes(duration, edge).map((p) => p.value.count)).toEqual([2]);
    const failed = withAttributes(duration, { 'error.type': 'upstream_error' });
    expect(failed.map((p) => p.value.count)).toEqual([1]);
    expect(failed[0]?.attributes['tiered.endpoint.id']).toBe('edge-1');

    const tokens = points('gen_ai.client.token.usage');
    const input = withAttributes(tokens, { ...edge, 'gen_ai.token.type': 'input' });
    const output = withAttributes(tokens, { ...edge, 'gen_ai.token.type': 'output' });
    expect(input.map((p) => p.value.count)).toEqual([2]);
    expect(output.map((p) => p.value.count)).toEqual([2]);
    expect(input[0]?.value.sum).toBeGreaterThanOrEqual(plain.usage?.prompt_tokens ?? 0);

    // Only the streaming call has a time to first chunk.
    expect(points('gen_ai.client.operation.time_to_first_chunk').map((p) => p.value.count)).toEqual(
      [1],
    );
  });
});

describe('without the telemetry option', () => {
  it('emits no span, no metric and sends no traceparent, even with a global SDK registered', async () => {
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    await lab.router.chat.completions.create(ask());
    await collect(await lab.router.chat.completions.create(askStream()));
    await settled();
    await metricReader.forceFlush();
    expect(spans()).toEqual([]);
    expect(
      metricExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)),
    ).toEqual([]);
    expect(lab.mock.endpoint('edge-1').stats().traceHeaders).toEqual([]);
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(2);
  });

  it('with the global SDK: openTelemetry() without providers uses the global ones', async () => {
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    lab = await startLab([edgeProfile('edge-1')], { telemetry: openTelemetry() });
    await lab.router.chat.completions.create(ask());
    await settled();
    expect(callSpans().map((s) => s.name)).toEqual(['chat auto']);
  });
});

describe('options', () => {
  it('bad openTelemetry() options and a bad telemetry option throw ConfigError naming the field', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).field;
      }
      return 'no error';
    };
    expect(field(() => openTelemetry({ tracerProvider: {} as never }))).toBe(
      'openTelemetry.tracerProvider',
    );
    expect(field(() => openTelemetry({ meterProvider: 'x' as never }))).toBe(
      'openTelemetry.meterProvider',
    );
    expect(field(() => openTelemetry({ propagate: 'yes' as never }))).toBe(
      'openTelemetry.propagate',
    );
    expect(field(() => openTelemetry({ providerName: '' }))).toBe('openTelemetry.providerName');
    expect(field(() => openTelemetry({ tracer: 1 } as never))).toBe('openTelemetry.tracer');
    const endpoints = [
      { id: 'e', tier: 'edge', baseURL: 'http://127.0.0.1:1/v1', model: 'm', contextWindow: 10 },
    ];
    expect(field(() => createRouter({ endpoints, telemetry: {} as never }))).toBe('telemetry');
    expect(field(() => createRouter({ endpoints, telemetry: 'otel' as never }))).toBe('telemetry');
  });

  it('propagate: false sends no traceparent but still records spans', async () => {
    lab = await startLab([edgeProfile('edge-1')], {
      telemetry: openTelemetry({ tracerProvider, meterProvider, propagate: false }),
    });
    await lab.router.chat.completions.create(ask());
    await settled();
    expect(attemptSpans()).toHaveLength(1);
    expect(lab.mock.endpoint('edge-1').stats().traceHeaders).toEqual([]);
  });
});

describe('packaging', () => {
  // Every bare module a source file reaches through its static and dynamic imports.
  function reachableModules(entry: string): Set<string> {
    const seen = new Set<string>();
    const modules = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const [, spec] of source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        if (!spec) continue;
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else modules.add(spec);
      }
    };
    visit(fileURLToPath(new URL(entry, import.meta.url)));
    return modules;
  }
  const otelModules = (m: Set<string>) => [...m].filter((s) => s.startsWith('@opentelemetry/'));

  it('the main entry never imports @opentelemetry/api; only @tiered/sdk/otel does', () => {
    expect(otelModules(reachableModules('../src/index.ts'))).toEqual([]);
    expect(otelModules(reachableModules('../src/otel.ts'))).toEqual(['@opentelemetry/api']);
  });

  it('package.json exports ./otel, in source and when published, and keeps the API an optional peer', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.exports['./otel']).toBe('./src/otel.ts');
    expect(pkg.publishConfig.exports['./otel']).toEqual({
      types: './dist/otel.d.ts',
      default: './dist/otel.js',
    });
    expect(pkg.dependencies['@opentelemetry/api']).toBeUndefined();
    expect(pkg.peerDependencies['@opentelemetry/api']).toBeDefined();
    expect(pkg.peerDependenciesMeta['@opentelemetry/api']).toEqual({ optional: true });
  });
});
