import { createRouter, type Router, type RouterOptions, TieredError } from '@tiered/sdk';
import OpenAI from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { type BenchEndpoint, routerEndpoints } from './tiers.js';

/** What became of one call. */
export interface CallOutcome {
  /** The endpoint that answered; undefined when the call failed. */
  readonly endpointId?: string | undefined;
  readonly usage?: { prompt_tokens: number; completion_tokens: number } | undefined;
  /** The error the caller got: `typed` when it is a class the caller can act on. */
  readonly error?: { readonly message: string; readonly typed: boolean } | undefined;
}

/** A way to send calls to the topology: a baseline with the bare client, or the router. */
export interface Policy {
  readonly name: string;
  call(body: {
    messages: OpenAI.ChatCompletionMessageParam[];
    max_tokens: number;
  }): Promise<CallOutcome>;
  close(): Promise<void>;
}

export type PolicyName = 'origin-only' | 'naive edge-first' | 'round robin' | 'Tiered';
export const POLICY_NAMES: readonly PolicyName[] = [
  'origin-only',
  'naive edge-first',
  'round robin',
  'Tiered',
];

function answered(endpointId: string, c: ChatCompletion): CallOutcome {
  return { endpointId, usage: c.usage };
}

function failed(error: unknown, typed: boolean): CallOutcome {
  return { error: { message: String((error as Error)?.message ?? error), typed } };
}

/**
 * The baselines use one bare `openai` client per endpoint (no retries: the policy is the only
 * retry), calling the endpoint's own model name.
 */
function bareClients(endpoints: readonly BenchEndpoint[], baseURL: (id: string) => string) {
  return endpoints.map((e) => ({
    e,
    client: new OpenAI({
      baseURL: baseURL(e.id),
      apiKey: 'unused',
      maxRetries: 0,
      timeout: 600_000,
    }),
  }));
}

async function viaClient(
  target: { e: BenchEndpoint; client: OpenAI },
  body: { messages: OpenAI.ChatCompletionMessageParam[]; max_tokens: number },
): Promise<ChatCompletion> {
  return target.client.chat.completions.create({ ...body, model: target.e.profile.model });
}

const isTyped = (error: unknown) => error instanceof OpenAI.APIError;

export function createPolicy(
  name: PolicyName,
  endpoints: readonly BenchEndpoint[],
  baseURL: (id: string) => string,
  routerOptions: Partial<RouterOptions> = {},
): Policy & { router?: Router } {
  const clients = bareClients(endpoints, baseURL);
  const origin = clients.find((c) => c.e.tier === 'origin');
  const edges = clients.filter((c) => c.e.tier === 'edge');
  if (!origin) throw new Error('the bench topology needs an origin');
  let turn = 0;

  /** Try `first`; on any error (context length included) fall back to the origin once. */
  const withOriginFallback = async (
    first: (typeof clients)[number],
    body: Parameters<Policy['call']>[0],
  ): Promise<CallOutcome> => {
    try {
      return answered(first.e.id, await viaClient(first, body));
    } catch (error) {
      if (first === origin) return failed(error, isTyped(error));
      try {
        return answered(origin.e.id, await viaClient(origin, body));
      } catch (error2) {
        return failed(error2, isTyped(error2));
      }
    }
  };

  switch (name) {
    case 'origin-only':
      return {
        name,
        call: async (body) => {
          try {
            return answered(origin.e.id, await viaClient(origin, body));
          } catch (error) {
            return failed(error, isTyped(error));
          }
        },
        close: async () => {},
      };
    case 'naive edge-first':
      return {
        name,
        // Alternate between the edges; no idea of context windows, queues or health.
        call: (body) =>
          withOriginFallback(edges[turn++ % edges.length] as (typeof clients)[number], body),
        close: async () => {},
      };
    case 'round robin':
      return {
        name,
        call: (body) =>
          withOriginFallback(clients[turn++ % clients.length] as (typeof clients)[number], body),
        close: async () => {},
      };
    case 'Tiered': {
      const router = createRouter({
        probes: false,
        ...routerOptions,
        endpoints: routerEndpoints(endpoints, baseURL),
      });
      const byModel = new Map(endpoints.map((e) => [e.profile.model, e.id]));
      return {
        name,
        router,
        call: async (body) => {
          try {
            const c = await router.chat.completions.create(body);
            return answered(byModel.get(c.model) ?? c.model, c);
          } catch (error) {
            return failed(error, TieredError.isInstance(error));
          }
        },
        close: () => router.close(),
      };
    }
  }
}
