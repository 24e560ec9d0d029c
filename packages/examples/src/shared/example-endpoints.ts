import type { EndpointProfile } from '@tiered/mock-server';
import type { TierEndpoint } from './tier-endpoint.js';

/** A near edge for the examples: 8k window, 5 ms away, 40 ms to first token, 80 tokens/s. */
export function edgeEndpoint(id: string, profile: Partial<EndpointProfile> = {}): TierEndpoint {
  return {
    tier: 'edge',
    price: { inputPerMTok: 0.05, outputPerMTok: 0.1 },
    profile: {
      id,
      model: 'qwen2.5-7b-instruct-q4',
      contextWindow: 8192,
      rttMs: 5,
      ttftMs: 40,
      prefillTokensPerSec: 4_000,
      decodeTokensPerSec: 80,
      maxConcurrency: 4,
      outputTokens: 24,
      ...profile,
    },
  };
}

/** A far origin for the examples: 128k window, 80 ms away, 350 ms to first token, 50 tokens/s. */
export function originEndpoint(
  id = 'origin',
  profile: Partial<EndpointProfile> = {},
): TierEndpoint {
  return {
    tier: 'origin',
    price: { inputPerMTok: 2.5, outputPerMTok: 10 },
    profile: {
      id,
      model: 'gpt-4.1',
      contextWindow: 128_000,
      rttMs: 80,
      ttftMs: 350,
      prefillTokensPerSec: 20_000,
      decodeTokensPerSec: 50,
      maxConcurrency: 64,
      outputTokens: 24,
      ...profile,
    },
  };
}
