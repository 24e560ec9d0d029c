import { routeOf } from '@tiered/sdk';
import { edgeEndpoint, originEndpoint } from '../shared/example-endpoints.js';
import type { ExampleOptions } from '../shared/example-options.js';
import { withRouter } from '../shared/with-router.js';

/** What `drop-in` shows: who answered each call, and the answer. */
export interface DropInResult {
  readonly calls: readonly {
    readonly prompt: string;
    readonly endpointId: string;
    readonly tier: string;
    readonly content: string;
  }[];
}

/**
 * `router.chat.completions.create` takes the body `openai`'s client takes and returns a
 * `ChatCompletion`. No `model` (or `'auto'`) lets the router choose: a short question goes to an edge,
 * a prompt longer than the edges' 8k window to the origin. `model: 'origin'` pins a tier.
 */
export async function run(options: ExampleOptions = {}): Promise<DropInResult> {
  const log = options.log ?? console.log;
  const topology = [edgeEndpoint('edge-1'), edgeEndpoint('edge-2'), originEndpoint()];
  return withRouter(topology, options, async (router) => {
    const calls: DropInResult['calls'][number][] = [];
    const ask = async (label: string, content: string, model?: string) => {
      const started = performance.now();
      const completion = await router.chat.completions.create({
        ...(model ? { model } : {}),
        messages: [{ role: 'user', content }],
        max_tokens: 16,
      });
      const latencyMs = performance.now() - started;
      const answer = completion.choices[0]?.message.content ?? '';
      // The completion is exactly what openai returns; routeOf says who served it.
      const served = routeOf(completion);
      if (!served) throw new Error('routeOf() knows every completion the router returned');
      calls.push({
        prompt: label,
        endpointId: served.endpointId,
        tier: served.tier,
        content: answer,
      });
      log(
        `${label.padEnd(34)} → ${served.endpointId} (${served.tier}), ${latencyMs.toFixed(0)} ms: "${answer.slice(0, 40)}…"`,
      );
    };

    log('router.chat.completions.create(body) — the openai body, routed:');
    await ask('short question, no model', 'What is the capital of Norway?');
    await ask(
      'long document (~12k tokens)',
      `Summarize:\n${'The quarterly report notes steady growth. '.repeat(1_200)}`,
    );
    await ask("short question, model: 'origin'", 'What is the capital of Norway?', 'origin');
    return { calls };
  });
}
