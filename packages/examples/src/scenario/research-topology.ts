import type { TierEndpoint } from '../shared/tier-endpoint.js';

const edgePrice = { inputPerMTok: 0.05, outputPerMTok: 0.1 };
const originPrice = { inputPerMTok: 2.5, outputPerMTok: 10 };

const edge = (id: string): TierEndpoint => ({
  tier: 'edge',
  price: edgePrice,
  profile: {
    id,
    model: 'qwen2.5-7b-instruct-q4',
    contextWindow: 8192,
    rttMs: 5,
    ttftMs: 40,
    prefillTokensPerSec: 4_000,
    decodeTokensPerSec: 80,
    maxConcurrency: 4,
    prefixCache: true,
    outputTokens: 256,
  },
});

/**
 * The `pnpm start` topology: two near edges (a quantized 7B on a small GPU each: 5 ms away, 40 ms to
 * first token, 80 tokens/s, 8k window, 4 slots) and one far origin (a frontier model: 80 ms away,
 * 350 ms to first token, 50 tokens/s, 128k window). Prices are USD per million tokens.
 */
export const researchTopology: readonly TierEndpoint[] = [
  edge('edge-1'),
  edge('edge-2'),
  {
    tier: 'origin',
    price: originPrice,
    profile: {
      id: 'origin',
      model: 'gpt-4.1',
      contextWindow: 128_000,
      rttMs: 80,
      ttftMs: 350,
      prefillTokensPerSec: 20_000,
      decodeTokensPerSec: 50,
      maxConcurrency: 64,
      prefixCache: true,
      outputTokens: 256,
    },
  },
];

/** The edge that goes down in the middle of the run. */
export const OUTAGE_ENDPOINT = 'edge-2';
