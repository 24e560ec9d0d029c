import type { EndpointProfile, Topology } from '@tiered/mock-server';
import type { EndpointOptions } from '@tiered/sdk';

/** Price of a tier, USD per million tokens. */
export const PRICES = {
  edge: { inputPerMTok: 0.05, outputPerMTok: 0.1 },
  origin: { inputPerMTok: 2.5, outputPerMTok: 10 },
} as const;

export type TierName = keyof typeof PRICES;

export interface BenchEndpoint {
  readonly id: string;
  readonly tier: TierName;
  readonly profile: EndpointProfile;
}

/**
 * The bench topology: two edges (8192 context, 4 slots, close and fast to first token) and one
 * origin (128k context, 64 slots, farther, slower decode). Each endpoint has its own model name, so
 * an answer's `model` tells which endpoint served it, whatever the policy.
 */
export function benchEndpoints(
  options: { prefixCache?: boolean | undefined; edgeSlots?: number | undefined } = {},
) {
  const prefixCache = options.prefixCache ?? false;
  // Natural length far above any max_tokens: the trace's output_length is what gets generated.
  const outputTokens = 100_000;
  const edge = (id: string): BenchEndpoint => ({
    id,
    tier: 'edge',
    profile: {
      id,
      model: `${id}-qwen2.5-7b-q4`,
      contextWindow: 8192,
      rttMs: 5,
      ttftMs: 30,
      prefillTokensPerSec: 4000,
      decodeTokensPerSec: 80,
      maxConcurrency: options.edgeSlots ?? 4,
      prefixCache,
      outputTokens,
    },
  });
  const origin: BenchEndpoint = {
    id: 'origin',
    tier: 'origin',
    profile: {
      id: 'origin',
      model: 'origin-large',
      contextWindow: 128_000,
      rttMs: 60,
      ttftMs: 300,
      prefillTokensPerSec: 20_000,
      decodeTokensPerSec: 40,
      maxConcurrency: 64,
      prefixCache,
      outputTokens,
    },
  };
  return [edge('edge-1'), edge('edge-2'), origin];
}

export function benchTopology(
  endpoints: readonly BenchEndpoint[],
  timeScale: number,
  seed = 1,
): Topology {
  return { seed, timeScale, endpoints: endpoints.map((e) => e.profile) };
}

/** The router's view of the same endpoints: context windows, slots and prices as deployed. */
export function routerEndpoints(
  endpoints: readonly BenchEndpoint[],
  baseURL: (id: string) => string,
): EndpointOptions[] {
  return endpoints.map((e) => ({
    id: e.id,
    tier: e.tier,
    baseURL: baseURL(e.id),
    model: e.profile.model,
    contextWindow: e.profile.contextWindow,
    maxConcurrency: e.profile.maxConcurrency,
    price: PRICES[e.tier],
  }));
}

export function costUsd(
  tier: TierName,
  usage: { prompt_tokens: number; completion_tokens: number },
) {
  const p = PRICES[tier];
  return (usage.prompt_tokens * p.inputPerMTok + usage.completion_tokens * p.outputPerMTok) / 1e6;
}
