/**
 * Session affinity on the prefix-sharing Mooncake trace: four identical endpoints with a prefix
 * cache (a request that shares leading 512-token blocks with a recent one on the same endpoint
 * prefills them 10× faster). In the trace's first 1,200 requests about 17–22% of prompt blocks
 * repeat an earlier request's prefix: that is the most any routing can serve from cache. The same
 * requests go out three ways — round robin (bare `openai` clients), Tiered without affinity (P2C on
 * load), and Tiered with one session per conversation (requests sharing their first two blocks) —
 * and we compare time to first token.
 */
import { startMockServer } from '@tiered/mock-server';
import { createRouter, type Session } from '@tiered/sdk';
import OpenAI from 'openai';
import { round, summarize } from './measure.js';
import { buildMessages, loadTrace, type TraceRequest } from './trace.js';

const ENDPOINTS = 4;
const TIME_SCALE = 0.02;

export interface AffinityResult {
  readonly policy: string;
  readonly calls: number;
  /** Trace time (measured ÷ timeScale). */
  readonly ttftP50Ms: number;
  readonly ttftP95Ms: number;
  readonly ttftMeanMs: number;
  /** Share of prompt tokens the endpoints served from their prefix cache. */
  readonly cachedShare: number;
}

type Send = (r: TraceRequest, messages: ReturnType<typeof buildMessages>) => Promise<number>;

async function replay(
  policy: string,
  requests: readonly TraceRequest[],
  make: (baseURLs: string[]) => { send: Send; close: () => Promise<void> },
): Promise<AffinityResult> {
  const mock = await startMockServer({
    seed: 3,
    timeScale: TIME_SCALE,
    endpoints: Array.from({ length: ENDPOINTS }, (_, i) => ({
      id: `node-${i + 1}`,
      model: 'kimi',
      contextWindow: 131_072,
      rttMs: 5,
      ttftMs: 40,
      prefillTokensPerSec: 8_000,
      decodeTokensPerSec: 400,
      maxConcurrency: 32,
      jitter: 0.05,
      prefixCache: { ttlMs: 600_000, speedup: 10 },
    })),
  });
  const { send, close } = make(mock.endpoints.map((e) => e.baseURL));
  const ttfts: number[] = [];
  const started = performance.now();
  await Promise.all(
    requests.map(async (r) => {
      const wait = r.arrivalMs * TIME_SCALE - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      ttfts.push((await send(r, buildMessages(r, 'affinity'))) / TIME_SCALE);
    }),
  );
  let tokensIn = 0;
  let cached = 0;
  for (const e of mock.endpoints) {
    tokensIn += e.stats().tokensIn;
    cached += e.stats().cachedTokensIn;
  }
  await close();
  await mock.close();
  const s = summarize(ttfts);
  return {
    policy,
    calls: ttfts.length,
    ttftP50Ms: Math.round(s.p50),
    ttftP95Ms: Math.round(s.p95),
    ttftMeanMs: Math.round(s.mean),
    cachedShare: round(cached / Math.max(1, tokensIn), 3),
  };
}

// Time to the first content chunk of a stream.
async function firstToken(
  stream: AsyncIterable<{ choices: Array<{ delta?: { content?: string | null } }> }>,
  t0: number,
): Promise<number> {
  let ttft = Number.NaN;
  for await (const chunk of stream) {
    if (Number.isNaN(ttft) && chunk.choices[0]?.delta?.content) ttft = performance.now() - t0;
  }
  return ttft;
}

export async function affinityBench(requests = 1_200): Promise<AffinityResult[]> {
  const trace = loadTrace('mooncake', Number.POSITIVE_INFINITY).slice(0, requests);
  const body = (messages: ReturnType<typeof buildMessages>) => ({
    messages,
    max_tokens: 8,
    stream: true as const,
  });

  const roundRobin = await replay('round robin', trace, (urls) => {
    const clients = urls.map((baseURL) => new OpenAI({ baseURL, apiKey: 'x', maxRetries: 0 }));
    let next = 0;
    return {
      send: async (_r, messages) => {
        const client = clients[next++ % clients.length] as OpenAI;
        const t0 = performance.now();
        return firstToken(
          await client.chat.completions.create({ ...body(messages), model: 'kimi' }),
          t0,
        );
      },
      close: async () => {},
    };
  });

  const tiered = (affinity: boolean) => (urls: string[]) => {
    const router = createRouter({
      probes: false,
      endpoints: urls.map((baseURL, i) => ({
        id: `node-${i + 1}`,
        tier: 'cluster',
        baseURL,
        model: 'kimi',
        contextWindow: 131_072,
        maxConcurrency: 32,
      })),
    });
    const sessions = new Map<string, Session>();
    return {
      send: async (r: TraceRequest, messages: ReturnType<typeof buildMessages>) => {
        // A conversation: requests that share their first two prefix blocks (block 0 is a
        // system prompt every request shares, so it alone says nothing).
        const key = `${r.hashIds?.[0]}:${r.hashIds?.[1] ?? `solo-${r.index}`}`;
        let session = sessions.get(key);
        if (!session) {
          session = router.session({ id: `conv-${key}`, affinity });
          sessions.set(key, session);
        }
        const t0 = performance.now();
        return firstToken(await session.chat.completions.create(body(messages)), t0);
      },
      close: () => router.close(),
    };
  };

  const p2c = await replay('Tiered, no affinity', trace, tiered(false));
  const sticky = await replay('Tiered, session affinity', trace, tiered(true));
  return [roundRobin, p2c, sticky];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await affinityBench());
}
