import { type EndpointProfile, type MockServer, startMockServer } from '@tiered/mock-server';
import {
  createRouter,
  type Router,
  type RouterEventName,
  type RouterOptions,
} from '../src/index.js';

/** Test topology: two small-window edges, one long-window origin, fast enough for unit-speed tests. */
export const EDGE_WINDOW = 2048;
export const ORIGIN_WINDOW = 128_000;

export function edgeProfile(id: string, extra: Partial<EndpointProfile> = {}): EndpointProfile {
  return {
    id,
    model: 'edge-model',
    contextWindow: EDGE_WINDOW,
    rttMs: 1,
    ttftMs: 2,
    decodeTokensPerSec: 5000,
    jitter: 0,
    ...extra,
  };
}

export function originProfile(extra: Partial<EndpointProfile> = {}): EndpointProfile {
  return {
    id: 'origin',
    model: 'origin-model',
    contextWindow: ORIGIN_WINDOW,
    rttMs: 4,
    ttftMs: 10,
    decodeTokensPerSec: 2000,
    jitter: 0,
    ...extra,
  };
}

export interface Lab {
  readonly mock: MockServer;
  readonly router: Router;
  /** Every event emitted, in order, as `[name, payload]`. */
  readonly events: Array<[RouterEventName, Record<string, unknown>]>;
  /** Names of the events of one request, in order. */
  eventsOf(requestId: string): RouterEventName[];
  close(): Promise<void>;
}

/** Every router event name. */
export const ALL_EVENTS: RouterEventName[] = [
  'request:start',
  'route:select',
  'attempt:start',
  'attempt:end',
  'attempt:error',
  'retry',
  'failover',
  'hedge:start',
  'endpoint:eject',
  'endpoint:restore',
  'probe:end',
  'queue:wait',
  'budget:exceeded',
  'batch:progress',
  'request:end',
  'request:error',
  'store:degraded',
  'store:restored',
];

/**
 * Starts a mock topology on port 0 and a router over it (probes off, small timeouts), recording
 * every event. `close()` stops both.
 */
export async function startLab(
  profiles: EndpointProfile[] = [edgeProfile('edge-1'), edgeProfile('edge-2'), originProfile()],
  options: Partial<RouterOptions> = {},
  routerEndpoints: (
    id: string,
    mock: MockServer,
  ) => Partial<RouterOptions['endpoints'][number]> = () => ({}),
): Promise<Lab> {
  const mock = await startMockServer({ seed: 7, timeScale: 1, endpoints: profiles });
  const router = createRouter(labOptions(mock, profiles, options, routerEndpoints));
  const events = recordEvents(router);
  return {
    mock,
    router,
    events,
    eventsOf: (requestId) => events.filter(([, p]) => p.requestId === requestId).map(([n]) => n),
    async close() {
      await router.close();
      await mock.close();
    },
  };
}

/**
 * Router options over a mock topology, as the lab uses them: probes off, small timeouts, tier by
 * the endpoint id's prefix (`edge…`, `regional…`, else origin).
 */
export function labOptions(
  mock: MockServer,
  profiles: EndpointProfile[],
  options: Partial<RouterOptions> = {},
  routerEndpoints: (
    id: string,
    mock: MockServer,
  ) => Partial<RouterOptions['endpoints'][number]> = () => ({}),
): RouterOptions {
  return {
    probes: false,
    timeouts: { firstTokenFloorMs: 300, stallMs: 300, totalMs: 10_000 },
    priors: { ttftMs: 10, rttMs: 1, timePerOutputTokenMs: 1 },
    retry: { minDelayMs: 5, maxDelayMs: 20 },
    ...options,
    endpoints: profiles.map((p) => ({
      id: p.id,
      tier: p.id.startsWith('edge') ? 'edge' : p.id.startsWith('regional') ? 'regional' : 'origin',
      baseURL: mock.endpoint(p.id).baseURL,
      model: p.model,
      contextWindow: p.contextWindow,
      ...(p.apiKey ? { apiKey: p.apiKey } : {}),
      ...routerEndpoints(p.id, mock),
    })),
  };
}

/** Records every event of a router, in order, as `[name, payload]`. */
export function recordEvents(router: Router): Lab['events'] {
  const events: Lab['events'] = [];
  for (const name of ALL_EVENTS) {
    router.on(name, (payload) => {
      events.push([name, payload as unknown as Record<string, unknown>]);
    });
  }
  return events;
}

/** A user message of about `tokens` tokens (4 characters each). */
export function prompt(tokens: number): { role: 'user'; content: string } {
  return { role: 'user', content: 'lorem '.repeat(Math.ceil((tokens * 4) / 6)) };
}

/** The endpoint that answered, from the router's `request:end` events. */
export function servedBy(lab: Lab): string[] {
  return lab.events.filter(([n]) => n === 'request:end').map(([, p]) => p.endpointId as string);
}
