/**
 * Telemetry overhead: the same whole call (in-memory fetch, no network) through three routers,
 * alternating blocks — without `telemetry`, with `openTelemetry()` and no SDK registered (the
 * OpenTelemetry API's no-op tracer and meter: the router's glue alone), and with `openTelemetry()`
 * over a real SDK (spans through a BatchSpanProcessor into an exporter that drops them, metrics
 * into a MeterProvider). The difference to "off" is what telemetry costs per call.
 *
 * Measured in CPU time per block (`process.cpuUsage`), median of the blocks: every call runs on
 * this thread, and CPU time is far less disturbed than wall time by other work on a shared machine.
 */

import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { createRouter, type Router } from '@tiered/sdk';
import { openTelemetry } from '@tiered/sdk/otel';
import { round } from './measure.js';
import { memoryFetch } from './memory-fetch.js';

const endpoints = [
  { id: 'edge-1', tier: 'edge', model: 'small', contextWindow: 8192, port: 9000 },
  { id: 'origin', tier: 'origin', model: 'large', contextWindow: 128_000, port: 9001 },
].map(({ port, ...e }) => ({ ...e, baseURL: `http://127.0.0.1:${port}/v1` }));

const body = {
  messages: [
    { role: 'system' as const, content: 'You are a helpful research assistant. '.repeat(10) },
    { role: 'user' as const, content: 'Summarize the findings of the attached notes. '.repeat(40) },
  ],
  max_tokens: 256,
  temperature: 0.2,
};

// Spans are built, batched and handed over, then dropped: the export itself is not the router's cost.
const dropSpans: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};

// Metrics are aggregated as usual; nobody collects them during the run.
class IdleReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

export async function telemetryOverheadBench(): Promise<Record<string, number>> {
  const fetch = memoryFetch(500);
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(dropSpans)],
  });
  const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
  const routers: Record<'off' | 'noop' | 'sdk', Router> = {
    off: createRouter({ endpoints, probes: false, fetch }),
    noop: createRouter({ endpoints, probes: false, fetch, telemetry: openTelemetry() }),
    sdk: createRouter({
      endpoints,
      probes: false,
      fetch,
      telemetry: openTelemetry({ tracerProvider, meterProvider }),
    }),
  };
  const callsPerBlock = 1_000;
  const blocks = 30;
  const samples = { off: [] as number[], noop: [] as number[], sdk: [] as number[] };
  for (let b = 0; b < blocks + 2; b++) {
    for (const name of ['off', 'noop', 'sdk'] as const) {
      const router = routers[name];
      const before = process.cpuUsage();
      for (let i = 0; i < callsPerBlock; i++) await router.chat.completions.create(body);
      const used = process.cpuUsage(before);
      // The first two rounds warm up the JIT.
      if (b >= 2) samples[name].push((used.user + used.system) / callsPerBlock);
    }
  }
  for (const router of Object.values(routers)) await router.close();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  const us = (name: keyof typeof samples) => round(median(samples[name]), 2);
  return {
    offCallUs: us('off'),
    noopCallUs: us('noop'),
    sdkCallUs: us('sdk'),
    noopExtraUs: round(us('noop') - us('off'), 2),
    sdkExtraUs: round(us('sdk') - us('off'), 2),
  };
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await telemetryOverheadBench());
}
