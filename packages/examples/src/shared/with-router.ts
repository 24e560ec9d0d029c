import { type MockServer, startMockServer } from '@tiered/mock-server';
import { createRouter, type Router, type RouterOptions } from '@tiered/sdk';
import { scaledTimings } from './scaled-timings.js';
import { routerEndpoints, type TierEndpoint } from './tier-endpoint.js';

/** Options of {@link withRouter}. */
export interface WithRouterOptions {
  /** Multiplies every simulated delay and the router's timers. @default 1 */
  readonly timeScale?: number | undefined;
  /** More router options (tiers, hedge, …), over the scaled timers. */
  readonly router?: Partial<RouterOptions> | undefined;
}

/**
 * Starts a mock topology on free ports and a router over it, runs `body`, then closes the router
 * and the mock whatever happened, so the process can exit by itself.
 */
export async function withRouter<T>(
  endpoints: readonly TierEndpoint[],
  options: WithRouterOptions,
  body: (router: Router, mock: MockServer) => Promise<T>,
): Promise<T> {
  const timeScale = options.timeScale ?? 1;
  const mock = await startMockServer({
    seed: 1,
    timeScale,
    endpoints: endpoints.map((e) => e.profile),
  });
  let router: Router | undefined;
  try {
    router = createRouter({
      endpoints: routerEndpoints(mock, endpoints),
      ...scaledTimings(timeScale),
      ...options.router,
    });
    return await body(router, mock);
  } finally {
    await router?.close();
    await mock.close();
  }
}
