import type { ChatCompletion } from 'openai/resources/chat/completions';
import { edgeEndpoint, originEndpoint } from '../shared/example-endpoints.js';
import type { ExampleOptions } from '../shared/example-options.js';
import { withRouter } from '../shared/with-router.js';

/** What `escalation` shows: for each call, the tiers tried and the one whose answer was kept. */
export interface EscalationResult {
  readonly calls: readonly {
    readonly label: string;
    /** Endpoints tried in order, with why each attempt was made. */
    readonly attempts: readonly { readonly endpointId: string; readonly kind: string }[];
    readonly servedBy: string;
    readonly words: number;
  }[];
}

/** Words in the `answer` field of a JSON answer, or -1 when it is not such JSON. */
function answerWords(completion: ChatCompletion): number {
  try {
    const parsed: unknown = JSON.parse(completion.choices[0]?.message.content ?? '');
    const answer = (parsed as { answer?: unknown }).answer;
    return typeof answer === 'string' ? answer.split(/\s+/).filter(Boolean).length : -1;
  } catch {
    return -1;
  }
}

/**
 * Escalation (a cascade): `route.accept(completion)` checks the cheap tier's answer, and `false`
 * re-runs the call on the next tier. Here the edge's small model answers in valid JSON but tersely;
 * a call that needs at least 20 words in `answer` is escalated to the origin, one that is happy
 * with 5 stays on the edge. Only the calls that need the expensive tier pay for it.
 */
export async function run(options: ExampleOptions = {}): Promise<EscalationResult> {
  const log = options.log ?? console.log;
  // The edge's model stops after ~12 tokens; the origin's writes ~48.
  const topology = [
    edgeEndpoint('edge-1', { outputTokens: 12 }),
    originEndpoint('origin', { outputTokens: 48 }),
  ];
  return withRouter(topology, options, async (router) => {
    const attempts = new Map<string, { endpointId: string; kind: string }[]>();
    router.on('attempt:start', (e) => {
      attempts.set(e.requestId, [
        ...(attempts.get(e.requestId) ?? []),
        { endpointId: e.endpointId, kind: e.kind },
      ]);
    });
    let lastRequest = '';
    router.on('request:start', (e) => {
      lastRequest = e.requestId;
    });

    const calls: EscalationResult['calls'][number][] = [];
    for (const [label, minWords] of [
      ['a label (≥ 5 words)', 5],
      ['an explanation (≥ 20 words)', 20],
    ] as const) {
      const completion = await router.chat.completions.create(
        {
          messages: [
            {
              role: 'user',
              content: `Give ${label} for: "battery drains overnight". Reply as JSON {"answer": string}.`,
            },
          ],
          response_format: { type: 'json_object' },
          max_tokens: 64,
        },
        { route: { accept: (c) => answerWords(c) >= minWords } },
      );
      const tried = attempts.get(lastRequest) ?? [];
      const servedBy = tried[tried.length - 1]?.endpointId ?? '?';
      const words = answerWords(completion);
      calls.push({ label, attempts: tried, servedBy, words });
      log(
        `${label.padEnd(28)} ${tried.map((a) => `${a.endpointId} (${a.kind})`).join(' → ')}: kept ${servedBy}'s answer, ${words} words`,
      );
    }
    return { calls };
  });
}
