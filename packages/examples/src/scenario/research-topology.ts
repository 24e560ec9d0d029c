import { edgeEndpoint, originEndpoint } from '../shared/example-endpoints.js';
import type { TierEndpoint } from '../shared/tier-endpoint.js';

// The research agent's answers are long (256 tokens) and its prompts share a long system prefix.
const scenarioProfile = { prefixCache: true, outputTokens: 256 };

/**
 * The `pnpm start` topology: two near edges (a quantized 7B on a small GPU each: 5 ms away, 40 ms to
 * first token, 80 tokens/s, 8k window, 4 slots) and one far origin (a frontier model: 80 ms away,
 * 350 ms to first token, 50 tokens/s, 128k window), the examples' endpoints with prefix caches on and
 * 256-token answers. Prices are USD per million tokens.
 */
export const researchTopology: readonly TierEndpoint[] = [
  edgeEndpoint('edge-1', scenarioProfile),
  edgeEndpoint('edge-2', scenarioProfile),
  originEndpoint('origin', scenarioProfile),
];

/** The edge that goes down in the middle of the run. */
export const OUTAGE_ENDPOINT = 'edge-2';
