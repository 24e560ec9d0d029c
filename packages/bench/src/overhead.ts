/**
 * Routing overhead over real loopback HTTP: the SDK against the bare `openai` client, both calling
 * one zero-latency mock endpoint, in alternating blocks in one process (so drift and JIT affect
 * both alike). Concurrency 1: latency percentiles. Concurrency 32: throughput.
 */
import { createRouter } from '@tiered/sdk';
import OpenAI from 'openai';
import { round, summarize } from './measure.js';
import { startMockHost } from './mock-host.js';

const body = {
  messages: [{ role: 'user' as const, content: 'Say something short about latency. '.repeat(8) }],
  max_tokens: 16,
};

export async function overheadBench(options: { blocks?: number; callsPerBlock?: number } = {}) {
  const blocks = options.blocks ?? 10;
  const callsPerBlock = options.callsPerBlock ?? 200;
  // The mock runs in a worker thread: its own work (which differs between a plain answer and a
  // stream) must not be billed to the client under test.
  const mock = await startMockHost({
    seed: 1,
    endpoints: [{ id: 'mock', model: 'mock-model', contextWindow: 32_768, jitter: 0 }],
  });
  const baseURL = mock.baseURL('mock');
  const router = createRouter({
    probes: false,
    endpoints: [{ id: 'mock', tier: 'edge', baseURL, model: 'mock-model', contextWindow: 32_768 }],
  });
  const client = new OpenAI({ baseURL, apiKey: 'x', maxRetries: 0 });
  const viaRouter = () => router.chat.completions.create(body);
  const viaClient = () => client.chat.completions.create({ ...body, model: 'mock-model' });

  // Concurrency 1: per-call latency, A/B alternating blocks.
  const lat = { router: [] as number[], client: [] as number[] };
  for (let b = 0; b <= blocks; b++) {
    for (const [name, fn] of [
      ['router', viaRouter],
      ['client', viaClient],
    ] as const) {
      for (let i = 0; i < callsPerBlock; i++) {
        const t0 = performance.now();
        await fn();
        if (b > 0) lat[name].push(performance.now() - t0);
      }
    }
  }

  // Concurrency 32: throughput per block.
  const rps = { router: [] as number[], client: [] as number[] };
  const callsPerThroughputBlock = 2_000;
  for (let b = 0; b <= blocks / 2; b++) {
    for (const [name, fn] of [
      ['router', viaRouter],
      ['client', viaClient],
    ] as const) {
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next++ < callsPerThroughputBlock) await fn();
        }),
      );
      if (b > 0) rps[name].push((callsPerThroughputBlock / (performance.now() - t0)) * 1000);
    }
  }
  await router.close();
  await mock.close();

  const r = summarize(lat.router);
  const c = summarize(lat.client);
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const routerRps = mean(rps.router);
  const clientRps = mean(rps.client);
  return {
    c1: {
      routerP50Ms: round(r.p50, 3),
      clientP50Ms: round(c.p50, 3),
      p50Ratio: round(r.p50 / c.p50, 3),
      routerP99Ms: round(r.p99, 3),
      clientP99Ms: round(c.p99, 3),
      samples: lat.router.length,
    },
    c32: {
      routerRps: Math.round(routerRps),
      clientRps: Math.round(clientRps),
      throughputRatio: round(routerRps / clientRps, 3),
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await overheadBench(), null, 2));
}
