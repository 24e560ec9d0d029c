import { EndpointEngine } from './endpoint-engine.js';
import type { MockStats } from './mock-stats.js';
import { NodeEndpointServer } from './node-endpoint-server.js';
import { type ProfilePatch, parseTopology, type Topology } from './topology.js';

/** One running endpoint of a {@link MockServer}. */
export interface MockEndpoint {
  readonly id: string;
  /** `http://127.0.0.1:PORT/v1`, for an OpenAI client's `baseURL`. */
  readonly baseURL: string;
  /**
   * Changes the profile for the very next request. `reset: true` restores the initial profile and
   * zeroes the stats; `down: true` closes the listener and cuts open connections (connection
   * refused), `down: false` listens again on the same port.
   * @throws {TopologyError} for a bad patch.
   */
  control(patch: ProfilePatch): Promise<void>;
  /** A snapshot of the counters. */
  stats(): MockStats;
}

/** A running topology. */
export interface MockServer {
  readonly endpoints: readonly MockEndpoint[];
  /** The endpoint with this id. @throws {Error} for an unknown id. */
  endpoint(id: string): MockEndpoint;
  /** Closes every listener and open socket, hung requests included. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts every endpoint of a topology, each on its own port of 127.0.0.1, and resolves once all
 * listen.
 *
 * @throws {TopologyError} for an invalid topology, naming the key.
 * @example
 * const server = await startMockServer(presets['two-tier']);
 * const client = new OpenAI({ baseURL: server.endpoint('edge-1').baseURL, apiKey: 'x' });
 * // …
 * await server.close();
 */
export async function startMockServer(topology: Topology): Promise<MockServer> {
  const valid = parseTopology(topology);
  const started: NodeEndpointServer[] = [];
  const endpoints: MockEndpoint[] = [];
  try {
    for (const profile of valid.endpoints) {
      let face: NodeEndpointServer | undefined;
      const engine = new EndpointEngine({
        profile,
        seed: valid.seed,
        timeScale: valid.timeScale,
        onDownChange: (down) => (down ? face?.stop() : face?.listen()),
      });
      face = new NodeEndpointServer(engine, profile.port ?? 0);
      started.push(face);
      // Even an endpoint that starts down takes its port, so `down: false` has one to return to.
      await face.listen();
      if (profile.down) face.stop();
      endpoints.push({
        id: profile.id,
        baseURL: `http://127.0.0.1:${face.port}/v1`,
        control: (patch) => engine.control(patch),
        stats: () => engine.stats(),
      });
    }
  } catch (error) {
    await Promise.all(started.map((face) => face.close()));
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    endpoints,
    endpoint(id) {
      const found = endpoints.find((e) => e.id === id);
      if (!found) {
        throw new Error(
          `Unknown mock endpoint \`${id}\` (known: ${endpoints.map((e) => e.id).join(', ')})`,
        );
      }
      return found;
    },
    close() {
      closing ??= Promise.all(started.map((face) => face.close())).then(() => undefined);
      return closing;
    },
  };
}
