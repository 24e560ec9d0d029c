import type { FaultProfile } from '@tiered/mock-server';
import { type FailoverEvent, StreamInterruptedError, TieredError } from '@tiered/sdk';
import { edgeEndpoint, originEndpoint } from '../shared/example-endpoints.js';
import type { ExampleOptions } from '../shared/example-options.js';
import { withRouter } from '../shared/with-router.js';

/** A stream whose edge failed before the first token: who served it, and what failed first. */
export interface FailedOverStream {
  readonly fault: string;
  readonly endpointId: string;
  readonly tier: string;
  readonly failovers: readonly Pick<FailoverEvent, 'fromEndpointId' | 'toEndpointId' | 'failure'>[];
  readonly text: string;
  readonly elapsedMs: number;
}

/** What `streaming-failover` shows. */
export interface StreamingFailoverResult {
  /** A 503 and a hang on the edge: both streams are served by the origin, the caller sees no error. */
  readonly failedOver: readonly FailedOverStream[];
  /** A stream cut after content reached the caller ends with a typed error, not a clean end. */
  readonly interrupted: {
    readonly errorName: string;
    readonly code: string;
    readonly reason: StreamInterruptedError['reason'] | undefined;
    readonly endpointId: string | undefined;
    readonly chunksReceived: number;
    readonly textSoFar: string;
  };
}

const topology = [edgeEndpoint('edge-1'), originEndpoint()];
const body = {
  messages: [{ role: 'user' as const, content: 'Stream me a short haiku about failover.' }],
  max_tokens: 24,
  stream: true as const,
};

/**
 * Streaming failover. Until the first content token reaches the caller, a failure is invisible: an
 * edge answering 503 fails over at once, an edge that hangs fails over when its first-token timeout
 * fires. After the first token the router cannot switch endpoints without repeating text, so a cut
 * stream ends with a `StreamInterruptedError` — never as if the answer were complete.
 */
export async function run(options: ExampleOptions = {}): Promise<StreamingFailoverResult> {
  const log = options.log ?? console.log;
  const failedOver: FailedOverStream[] = [];
  // A first-token timeout floor of 1 s (the SDK's default is 5 s): a hung edge costs one second.
  const scale = options.timeScale ?? 1;
  const routerOptions = {
    ...options,
    router: { timeouts: { firstTokenFloorMs: Math.max(50, 1_000 * scale) } },
  };

  // Each case on a fresh router, so the previous case's failures do not steer the next one.
  for (const [fault, faults] of [
    ['edge answers 503', { errorRate: 1, errorStatus: 503 }],
    ['edge hangs (no first token)', { hangRate: 1 }],
  ] as const satisfies readonly (readonly [string, FaultProfile])[]) {
    await withRouter(topology, routerOptions, async (router, mock) => {
      await mock.endpoint('edge-1').control({ faults });
      const failovers: FailedOverStream['failovers'][number][] = [];
      router.on('failover', ({ fromEndpointId, toEndpointId, failure }) =>
        failovers.push({ fromEndpointId, toEndpointId, failure }),
      );
      const started = performance.now();
      const stream = await router.chat.completions.create(body);
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      const elapsedMs = performance.now() - started;
      failedOver.push({
        fault,
        endpointId: stream.endpointId,
        tier: stream.tier,
        failovers,
        text,
        elapsedMs,
      });
      const how = failovers.map((f) => `${f.fromEndpointId} → ${f.toEndpointId} (${f.failure})`);
      log(
        `${fault.padEnd(28)} stream served by ${stream.endpointId} after ${how.join(', ') || 'no failover'}, ${elapsedMs.toFixed(0)} ms: "${text.slice(0, 36)}…"`,
      );
    });
  }

  const interrupted = await withRouter(topology, routerOptions, async (router, mock) => {
    // The edge cuts every stream after half its chunks: content has reached the caller by then.
    await mock.endpoint('edge-1').control({ faults: { disconnectRate: 1 } });
    const stream = await router.chat.completions.create(body);
    let text = '';
    let chunks = 0;
    try {
      for await (const chunk of stream) {
        chunks++;
        text += chunk.choices[0]?.delta?.content ?? '';
      }
      throw new Error('Expected the cut stream to throw, but it ended cleanly');
    } catch (error) {
      if (!TieredError.isInstance(error)) throw error;
      const e = error instanceof StreamInterruptedError ? error : undefined;
      log(
        `edge cuts the stream mid-way    ${error.name} (code ${error.code}, reason ${e?.reason}) from ${e?.endpointId} after ${chunks} chunks: "${text.trim()}"`,
      );
      return {
        errorName: error.name,
        code: error.code,
        reason: e?.reason,
        endpointId: e?.endpointId,
        chunksReceived: e?.chunksReceived ?? chunks,
        textSoFar: text,
      };
    }
  });
  return { failedOver, interrupted };
}
