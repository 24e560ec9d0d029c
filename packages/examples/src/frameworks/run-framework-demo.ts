import type { FaultProfile } from '@tiered/mock-server';
import type { Router } from '@tiered/sdk';
import { edgeEndpoint, originEndpoint } from '../shared/example-endpoints.js';
import type { ExampleOptions } from '../shared/example-options.js';
import { type RoutedCall, RouteLog } from '../shared/route-log.js';
import { upstreamRequests } from '../shared/upstream-requests.js';
import { withRouter } from '../shared/with-router.js';
import { describeError, type FrameworkErrorView } from './describe-error.js';
import type {
  DriverFactory,
  FrameworkApi,
  RoutedFetch,
  ToolRoundTrip,
} from './framework-driver.js';
import { forecastSchema, prompts } from './weather-fixtures.js';

/** A framework the demo runs: its name, the APIs it speaks, its driver. */
export interface Framework {
  /** Shown in the output, e.g. `Vercel AI SDK`. */
  readonly name: string;
  readonly apis: readonly FrameworkApi[];
  readonly driver: DriverFactory;
}

/** One failing framework call on a failing fleet, and what it cost upstream. */
export interface OutageCall {
  readonly fault: 'server-error' | 'hang';
  readonly mode: 'plain' | 'stream';
  /** The router calls this one framework call made: one, unless the framework retried. */
  readonly calls: readonly RoutedCall[];
  /** The router's own attempts (`attempt:start` events), over those calls. */
  readonly attempts: number;
  /** Requests the mock endpoints received during the call (their `/__stats`). */
  readonly upstreamRequests: number;
  /** Per router call, the requests the endpoints received carrying its request id. */
  readonly upstreamByCall: readonly number[];
  /** What the framework threw. */
  readonly error: FrameworkErrorView;
}

/** What one framework showed on one API. */
export interface ApiDemo {
  readonly api: FrameworkApi;
  /** The distinct `METHOD /path` requests the framework sent to `router.fetch`. */
  readonly requests: readonly string[];
  readonly streaming: {
    readonly text: string;
    readonly pieces: number;
    readonly endpointHeader: string | undefined;
    readonly calls: readonly RoutedCall[];
  };
  readonly toolRoundTrip: ToolRoundTrip & { readonly calls: readonly RoutedCall[] };
  readonly structured: {
    readonly output: unknown;
    /** The output parsed against `forecastSchema`. */
    readonly valid: boolean;
    readonly calls: readonly RoutedCall[];
  };
  readonly outage: readonly OutageCall[];
}

/** What a framework example shows, per API. */
export interface FrameworkDemoResult {
  readonly framework: string;
  readonly apis: readonly ApiDemo[];
}

const healthy = [edgeEndpoint('edge-1'), originEndpoint()];
const outages = [
  ['server-error', { errorRate: 1, errorStatus: 503 }, 'every endpoint answers 503'],
  ['hang', { hangRate: 1 }, 'every endpoint hangs'],
] as const satisfies readonly (readonly [OutageCall['fault'], FaultProfile, string])[];

/**
 * Runs one framework through `router.fetch` on an embedded mock topology: a streamed answer, a
 * tool round trip, structured output (a long prompt, so the origin serves it), then the same
 * framework on a failing fleet, counting upstream requests against the router's own attempts.
 */
export async function runFrameworkDemo(
  framework: Framework,
  options: ExampleOptions = {},
): Promise<FrameworkDemoResult> {
  const log = options.log ?? console.log;
  const apis: ApiDemo[] = [];
  for (const api of framework.apis) {
    log(`${framework.name} — ${api === 'responses' ? 'Responses API' : 'chat completions API'}`);
    const requests = new Set<string>();
    const recording = (router: Router): RoutedFetch => ({
      fetch: (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
        requests.add(`${method} ${new URL(url).pathname}`);
        return router.fetch(input, init);
      },
    });
    const happy = await withRouter(healthy, options, async (router) => {
      const routes = new RouteLog(router);
      const driver = framework.driver(recording(router), api);

      let mark = routes.mark();
      const streamed = await driver.stream(prompts.stream);
      const text = streamed.pieces.join('');
      const streaming = {
        text,
        pieces: streamed.pieces.length,
        endpointHeader: streamed.endpointHeader,
        calls: routes.since(mark),
      };
      log(
        `  stream           ${served(streaming.calls)}  ${streaming.pieces} pieces  ${quote(text)}` +
          (streamed.endpointHeader ? `  (x-tiered-endpoint: ${streamed.endpointHeader})` : ''),
      );

      mark = routes.mark();
      const trip = await driver.toolRoundTrip(prompts.tool);
      const toolRoundTrip = { ...trip, calls: routes.since(mark) };
      const callsShown = trip.toolCalls.map((c) => `${c.name}(${JSON.stringify(c.args)})`);
      log(
        `  tool round trip  ${served(toolRoundTrip.calls)}  ${callsShown.join(', ') || 'no tool call'}` +
          ` → ${trip.toolResults.map((r) => JSON.stringify(r)).join(', ')} → ${quote(trip.answer)}`,
      );

      mark = routes.mark();
      const output = await driver.structured(prompts.structured);
      const valid = forecastSchema.safeParse(output).success;
      const structured = { output, valid, calls: routes.since(mark) };
      log(
        `  structured       ${served(structured.calls)}  ${clip(JSON.stringify(output), 90)}` +
          ` (${valid ? 'valid against' : 'does NOT match'} the schema)`,
      );
      return { streaming, toolRoundTrip, structured };
    });

    const outage: OutageCall[] = [];
    for (const [fault, faults, label] of outages) {
      const failing = [edgeEndpoint('edge-1', { faults }), originEndpoint('origin', { faults })];
      // A hung endpoint costs the first-token timeout: 1 s here (the SDK's default floor is 5 s).
      const scale = options.timeScale ?? 1;
      const routerOptions = {
        ...options,
        router: { timeouts: { firstTokenFloorMs: Math.max(50, 1_000 * scale) } },
      };
      // Both modes at once, each on its own topology and a fresh router: the previous call's
      // ejections would make the next wait out their cool-down first — right for a router, slow
      // for a demonstration.
      const calls = await Promise.all(
        (['plain', 'stream'] as const).map((mode) =>
          withRouter(failing, routerOptions, async (router, mock): Promise<OutageCall> => {
            const routes = new RouteLog(router);
            const driver = framework.driver(recording(router), api);
            const error = await failure(() =>
              mode === 'plain' ? driver.generate(prompts.stream) : driver.stream(prompts.stream),
            );
            const upstream = await upstreamRequests(mock);
            const calls = routes.calls;
            return {
              fault,
              mode,
              calls,
              attempts: calls.reduce((n, c) => n + c.attempts.length, 0),
              upstreamRequests: upstream.total,
              upstreamByCall: calls.map((c) => upstream.byRequestId[c.requestId] ?? 0),
              error: describeError(error),
            };
          }),
        ),
      );
      for (const call of calls) {
        outage.push(call);
        log(
          `  ${`${label}, ${call.mode}:`.padEnd(34)} ${call.calls.length} router call, ` +
            `${call.attempts} attempts, ${call.upstreamRequests} upstream requests → ` +
            `${call.error.name} ${call.error.status ?? ''} ${call.error.code ?? ''}`.trimEnd(),
        );
      }
    }
    apis.push({ api, requests: [...requests], ...happy, outage });
    log('');
  }
  return { framework: framework.name, apis };
}

/** Runs a call that should fail; resolves with what it threw. */
async function failure(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('Expected the call to fail on a fleet where every endpoint fails');
}

function served(calls: readonly RoutedCall[]): string {
  return calls
    .map((c) => c.servedBy ?? `(${c.errorCode ?? 'no answer'})`)
    .join(' → ')
    .padEnd(16);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function quote(text: string, max = 40): string {
  return JSON.stringify(clip(text, max));
}
