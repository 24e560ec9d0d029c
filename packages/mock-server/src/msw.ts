import { HttpResponse, http, type RequestHandler } from 'msw';
import { EndpointEngine, type ResponseSink } from './endpoint-engine.js';
import type { MockStats } from './mock-stats.js';
import { type ProfilePatch, parseTopology, type Topology } from './topology.js';

/** One endpoint of {@link createMockHandlers}: its id and base URL. */
export interface MockHandlerEndpoint {
  readonly id: string;
  /** `http://<id>.mock/v1`. */
  readonly baseURL: string;
}

/** Control of one msw-served endpoint, as on a running server. */
export interface MockHandlerControl {
  /** Changes the profile for the very next request (`reset`, `down`: all requests fail to connect). */
  control(patch: ProfilePatch): Promise<void>;
  stats(): MockStats;
}

/** msw handlers serving a topology in-process, on the same engine as the HTTP server. */
export interface MockHandlers {
  readonly handlers: RequestHandler[];
  readonly endpoints: readonly MockHandlerEndpoint[];
  /** @throws {Error} for an unknown id. */
  endpoint(id: string): MockHandlerControl;
}

const encoder = new TextEncoder();

/**
 * Builds msw request handlers for a topology: each endpoint answers at `http://<id>.mock/v1`
 * (also `/health`, `/__control`, `/__stats` at `http://<id>.mock`). Latencies, slots and faults
 * behave as on the HTTP server; a hang resolves only when the request's signal aborts, a disconnect
 * is a network error before the body or an errored stream after it.
 *
 * @throws {TopologyError} for an invalid topology.
 * @example
 * const mock = createMockHandlers(presets['two-tier']);
 * const server = setupServer(...mock.handlers);
 * server.listen({ onUnhandledRequest: 'error' });
 */
export function createMockHandlers(topology: Topology): MockHandlers {
  const valid = parseTopology(topology);
  const engines = new Map<string, EndpointEngine>();
  const handlers: RequestHandler[] = [];
  const endpoints: MockHandlerEndpoint[] = [];
  for (const profile of valid.endpoints) {
    const engine = new EndpointEngine({ profile, seed: valid.seed, timeScale: valid.timeScale });
    const origin = `http://${profile.id}.mock`;
    engines.set(profile.id, engine);
    endpoints.push({ id: profile.id, baseURL: `${origin}/v1` });
    handlers.push(
      http.all(`${origin}/*`, async ({ request }) => {
        if (engine.profile.down) return HttpResponse.error();
        return answer(engine, request);
      }),
    );
  }
  return {
    handlers,
    endpoints,
    endpoint(id) {
      const engine = engines.get(id);
      if (!engine) {
        throw new Error(
          `Unknown mock endpoint \`${id}\` (known: ${[...engines.keys()].join(', ')})`,
        );
      }
      return { control: (patch) => engine.control(patch), stats: () => engine.stats() };
    },
  };
}

/** Runs one request through the engine and adapts its sink to a web `Response`. */
async function answer(engine: EndpointEngine, request: Request): Promise<Response> {
  const aborter = new AbortController();
  const abort = (): void => aborter.abort();
  if (request.signal.aborted) abort();
  else request.signal.addEventListener('abort', abort, { once: true });

  let settle: (response: Response) => void = () => {};
  const response = new Promise<Response>((resolve) => {
    settle = resolve;
  });
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let done = false;
  const sink: ResponseSink = {
    head(status, headers) {
      const { 'content-length': _length, ...rest } = headers;
      const body = new ReadableStream<Uint8Array>({
        start: (c) => {
          controller = c;
        },
        // The reader went away (client abort): the engine counts it as aborted.
        cancel: abort,
      });
      settle(new HttpResponse(body, { status, headers: rest }));
    },
    write(chunk) {
      if (!done) controller?.enqueue(encoder.encode(chunk));
    },
    end(chunk) {
      if (done) return;
      done = true;
      if (chunk) controller?.enqueue(encoder.encode(chunk));
      controller?.close();
    },
    destroy() {
      if (done) return;
      done = true;
      if (controller) controller.error(new TypeError('terminated (injected disconnect)'));
      else settle(HttpResponse.error());
    },
  };
  const url = new URL(request.url);
  const handled = engine
    .handle(
      {
        method: request.method,
        path: url.pathname,
        headers: Object.fromEntries(request.headers),
        body: request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text(),
        signal: aborter.signal,
      },
      sink,
    )
    // Nothing was sent (a hang that ended with the client's abort): a network error.
    .then(() => settle(HttpResponse.error()));
  void handled;
  return response;
}
