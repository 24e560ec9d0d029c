import OpenAI from 'openai';
import { edgeEndpoint, originEndpoint } from '../shared/example-endpoints.js';
import type { ExampleOptions } from '../shared/example-options.js';
import { withRouter } from '../shared/with-router.js';

/** What `fetch-adapter` shows: the `x-tiered-*` headers of each response. */
export interface FetchAdapterResult {
  readonly calls: readonly {
    readonly prompt: string;
    readonly endpoint: string | null;
    readonly tier: string | null;
    readonly requestId: string | null;
    readonly content: string;
  }[];
  /** Models listed by `client.models.list()` through the router. */
  readonly models: readonly string[];
}

/**
 * `router.fetch` under the official `openai` client: any client that takes a custom `fetch` is
 * routed, unchanged. The base URL is a placeholder (nothing listens there) and the API key is never
 * forwarded: each endpoint gets its own. Responses carry `x-tiered-endpoint` and `x-tiered-tier`.
 */
export async function run(options: ExampleOptions = {}): Promise<FetchAdapterResult> {
  const log = options.log ?? console.log;
  const topology = [edgeEndpoint('edge-1'), originEndpoint()];
  return withRouter(topology, options, async (router) => {
    const client = new OpenAI({
      baseURL: 'http://tiered.local/v1',
      apiKey: 'sk-caller-key-never-forwarded',
      fetch: router.fetch,
      maxRetries: 0, // the router retries and fails over; the client need not
    });

    const models = (await client.models.list()).data.map((m) => m.id);
    log(`client.models.list() through router.fetch: ${models.join(', ')}`);

    const calls: FetchAdapterResult['calls'][number][] = [];
    for (const [prompt, content] of [
      ['short question', 'Name three prime numbers.'],
      [
        'long document (~12k tokens)',
        `Summarize:\n${'Revenue grew in every region. '.repeat(1_600)}`,
      ],
    ] as const) {
      const { data, response } = await client.chat.completions
        .create({ model: 'auto', messages: [{ role: 'user', content }], max_tokens: 16 })
        .withResponse();
      const call = {
        prompt,
        endpoint: response.headers.get('x-tiered-endpoint'),
        tier: response.headers.get('x-tiered-tier'),
        requestId: response.headers.get('x-tiered-request-id'),
        content: data.choices[0]?.message.content ?? '',
      };
      calls.push(call);
      log(
        `${prompt.padEnd(28)} x-tiered-endpoint: ${call.endpoint}  x-tiered-tier: ${call.tier}  x-tiered-request-id: ${call.requestId}`,
      );
    }
    return { calls, models };
  });
}
