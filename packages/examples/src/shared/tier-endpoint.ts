import type { EndpointProfile, MockServer } from '@tiered/mock-server';
import type { EndpointOptions, Price } from '@tiered/sdk';

/**
 * One endpoint of an example topology: the mock server's profile (what it simulates) plus what the
 * router is told about it (tier, price). One description feeds both sides, so they cannot drift.
 */
export interface TierEndpoint {
  readonly tier: string;
  readonly price: Price;
  readonly profile: EndpointProfile;
}

/**
 * The router's endpoint options for a running mock topology: each endpoint's base URL, model,
 * context window and slot count come from its mock profile.
 */
export function routerEndpoints(
  server: MockServer,
  endpoints: readonly TierEndpoint[],
): EndpointOptions[] {
  return endpoints.map(({ tier, price, profile }) => ({
    id: profile.id,
    tier,
    baseURL: server.endpoint(profile.id).baseURL,
    apiKey: profile.apiKey,
    model: profile.model,
    contextWindow: profile.contextWindow,
    maxConcurrency: profile.maxConcurrency,
    price,
  }));
}
