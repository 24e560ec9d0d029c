import { edgeEndpoint, originEndpoint } from '../shared/example-endpoints.js';
import type { ExampleOptions } from '../shared/example-options.js';
import type { TierEndpoint } from '../shared/tier-endpoint.js';
import { withRouter } from '../shared/with-router.js';

/** What `three-tier` shows: which tier answered each prompt size, and with the edge down. */
export interface ThreeTierResult {
  readonly calls: readonly {
    readonly label: string;
    readonly promptTokens: number;
    readonly endpointId: string;
    readonly tier: string;
  }[];
}

/** A regional tier between edge and origin: a mid-size model, 32k window, 25 ms away, mid price. */
const regional: TierEndpoint = {
  tier: 'regional',
  price: { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  profile: {
    id: 'regional-eu',
    model: 'llama-3.3-70b-instruct',
    contextWindow: 32_768,
    rttMs: 25,
    ttftMs: 120,
    prefillTokensPerSec: 20_000,
    decodeTokensPerSec: 60,
    maxConcurrency: 16,
    outputTokens: 24,
  },
};

/**
 * A custom topology of three tiers, `tiers: ['edge', 'regional', 'origin']`, cheapest first. Each
 * call goes to the first tier whose window fits it: short prompts to the edge, a 20k-token prompt
 * to the regional tier, a 40k-token one to the origin. With the edge down, short prompts fail over
 * one tier up, to the regional endpoint — not straight to the most expensive one.
 */
export async function run(options: ExampleOptions = {}): Promise<ThreeTierResult> {
  const log = options.log ?? console.log;
  const topology = [edgeEndpoint('edge-1'), regional, originEndpoint('origin-us')];
  return withRouter(
    topology,
    { ...options, router: { tiers: ['edge', 'regional', 'origin'] } },
    async (router, mock) => {
      const calls: ThreeTierResult['calls'][number][] = [];
      const served: { endpointId: string; tier: string }[] = [];
      router.on('request:end', (e) => served.push(e));
      const ask = async (label: string, approxTokens: number) => {
        const filler = 'Field notes from the survey team, day by day. '.repeat(
          Math.ceil((approxTokens * 4) / 46),
        );
        const completion = await router.chat.completions.create({
          messages: [{ role: 'user', content: `${filler}\nSummarize the notes.` }],
          max_tokens: 16,
        });
        const by = served[served.length - 1] as { endpointId: string; tier: string };
        const promptTokens = completion.usage?.prompt_tokens ?? 0;
        calls.push({ label, promptTokens, endpointId: by.endpointId, tier: by.tier });
        log(
          `${label.padEnd(30)} ${String(promptTokens).padStart(6)} prompt tokens → ${by.endpointId} (${by.tier})`,
        );
      };

      log("tiers: ['edge', 'regional', 'origin'] — windows 8k, 32k, 128k");
      await ask('short prompt', 200);
      await ask('20k-token prompt', 20_000);
      await ask('40k-token prompt', 40_000);
      await mock.endpoint('edge-1').control({ down: true });
      log('edge-1 goes down');
      await ask('short prompt, edge down', 200);
      return { calls };
    },
  );
}
