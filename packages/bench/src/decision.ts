/**
 * Decision microbenchmark: the router's own work per call, with no network. (a) estimate +
 * policy (filter, tier choice, P2C, fallback plan) over 16 endpoints; (b) a whole call through
 * `router.chat.completions.create` with an in-memory fetch, against the bare `openai` client with
 * the same in-memory fetch — the difference is everything the router adds.
 */

import { createRouter } from '@tiered/sdk';
import OpenAI from 'openai';
import { resolveConfig } from '../../sdk/src/config.js';
import { estimateRequest } from '../../sdk/src/estimate/estimate-request.js';
import { planRoute } from '../../sdk/src/policy/plan-route.js';
import { EndpointSignals } from '../../sdk/src/signals/endpoint-signals.js';
import { nsPerOp, round } from './measure.js';
import { memoryFetch } from './memory-fetch.js';
import { mulberry32 } from './mulberry32.js';

const endpoints = Array.from({ length: 16 }, (_, i) => ({
  id: `ep-${i}`,
  tier: i < 8 ? 'edge' : i < 12 ? 'regional' : 'origin',
  baseURL: `http://127.0.0.1:${9000 + i}/v1`,
  model: i < 8 ? 'small' : i < 12 ? 'medium' : 'large',
  contextWindow: i < 8 ? 8192 : i < 12 ? 32_768 : 128_000,
  maxConcurrency: 8,
  price: { inputPerMTok: i < 8 ? 0.05 : 2, outputPerMTok: i < 8 ? 0.1 : 8 },
}));

const body = {
  messages: [
    { role: 'system' as const, content: 'You are a helpful research assistant. '.repeat(10) },
    { role: 'user' as const, content: 'Summarize the findings of the attached notes. '.repeat(40) },
  ],
  max_tokens: 256,
};

// The canned completion reports the ~500-token prompt `body` is.
const inMemory = memoryFetch(500);

export async function decisionBench(): Promise<Record<string, number>> {
  const config = resolveConfig({ endpoints, probes: false });
  const signals = config.endpoints.map((e) => new EndpointSignals(e, config));
  const random = mulberry32(1);
  for (const [i, s] of signals.entries()) {
    s.ttft.observe(20 + i * 10, 0);
    s.inFlight = i % 4;
  }
  const ctx = {
    endpoints: signals,
    tierCount: config.tiers.length,
    contextMargin: config.estimate.contextMargin,
    imageTokens: config.estimate.imageTokens,
    now: 1000,
    random,
  };
  const estimateNs = nsPerOp(() => {
    estimateRequest(body);
  }, 100_000);
  const facts = estimateRequest(body);
  const planNs = nsPerOp(() => {
    planRoute(
      {
        promptChars: facts.promptChars,
        imageParts: 0,
        outputTokens: 256,
        needs: facts.needs,
        pin: undefined,
      },
      ctx,
    );
  }, 100_000);

  // Whole calls, no network: router vs bare client, alternating blocks.
  const router = createRouter({ endpoints, probes: false, fetch: inMemory });
  const client = new OpenAI({
    baseURL: 'http://127.0.0.1:9000/v1',
    apiKey: 'x',
    fetch: inMemory,
    maxRetries: 0,
  });
  const callsPerBlock = 2_000;
  const blocks = 10;
  let routerNs = 0;
  let bareNs = 0;
  for (let b = 0; b < blocks + 1; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < callsPerBlock; i++) await router.chat.completions.create(body);
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < callsPerBlock; i++)
      await client.chat.completions.create({ ...body, model: 'small' });
    const t2 = process.hrtime.bigint();
    if (b === 0) continue; // warm-up
    routerNs += Number(t1 - t0);
    bareNs += Number(t2 - t1);
  }
  await router.close();
  const n = callsPerBlock * blocks;
  return {
    estimateUs: round(estimateNs / 1000, 3),
    planUs16: round(planNs / 1000, 3),
    decisionUs16: round((estimateNs + planNs) / 1000, 3),
    routerCallUs: round(routerNs / n / 1000, 2),
    bareClientCallUs: round(bareNs / n / 1000, 2),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await decisionBench());
}
