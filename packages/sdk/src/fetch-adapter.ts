import type { CallOptions, RouteHints, RouterInternals } from './call-types.js';
import type { FetchLike } from './config.js';
import { RouterStream } from './dispatch/router-stream.js';
import { TieredError, UpstreamError } from './errors.js';
import { traceHeadersOf } from './internal/trace-headers.js';
import { prepareResponsesCall } from './responses/prepare-responses-call.js';
import { responseJson } from './responses/response-json.js';
import { responsesSseBody } from './responses/responses-sse-body.js';
import { routeOf } from './route-of.js';

const encoder = new TextEncoder();

// HTTP status for each error code, so OpenAI-compatible clients raise their matching error class.
const STATUS: Record<string, number> = {
  invalid_request: 400,
  no_endpoint: 400,
  config_invalid: 400,
  budget_exceeded: 402,
  aborted: 499,
  all_attempts_failed: 502,
  stream_interrupted: 502,
  router_closed: 503,
  store_unavailable: 503,
  timeout: 504,
  deadline_exceeded: 504,
};

/**
 * `router.fetch`: a `fetch` that routes OpenAI-compatible requests, for any client that takes a
 * custom fetch (`openai`, Vercel AI SDK, LangChain, the OpenAI Agents SDK). `POST
 * …/chat/completions` and `POST …/responses` (the Responses API: translated into the chat
 * completion the engine runs, or sent as it is to endpoints with `responsesApi: 'native'`) are
 * routed; `GET …/models` lists what `model` may name. Hints travel as headers (`x-tiered-tier`,
 * `x-tiered-endpoint`, `x-tiered-session`, `x-tiered-priority`, `x-tiered-deadline-ms`); responses
 * carry `x-tiered-endpoint`, `x-tiered-tier` and `x-tiered-request-id`. Of the caller's headers only
 * the W3C trace context (`traceparent`, `tracestate`, `baggage`) is forwarded upstream — never its
 * `Authorization` or anything else: each endpoint gets its own key only. With telemetry on, an
 * incoming `traceparent` parents the call's span.
 */
export function createFetchAdapter(router: RouterInternals): FetchLike {
  return async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : input instanceof URL ? input.href : String(input));
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const headers = new Headers(init?.headers ?? request?.headers);
    const signal = init?.signal ?? request?.signal ?? undefined;

    if (method === 'GET' && url.pathname.endsWith('/models')) return modelsResponse(router);
    const responses = method === 'POST' && url.pathname.endsWith('/responses');
    if (!responses && (method !== 'POST' || !url.pathname.endsWith('/chat/completions'))) {
      return errorResponse(
        404,
        'not_found',
        `Tiered routes POST /chat/completions, POST /responses and GET /models, not ${method} ${url.pathname}`,
      );
    }

    let body: unknown;
    try {
      const text =
        request && init?.body === undefined ? await request.text() : await bodyText(init?.body);
      body = JSON.parse(text);
    } catch {
      return errorResponse(
        400,
        'invalid_request',
        'Failed to route the call: the request body is not valid JSON',
      );
    }

    // Trace context is the one thing of the caller's that travels upstream, so the endpoints'
    // spans join the caller's trace.
    const options: CallOptions = {
      signal,
      route: hintsFrom(headers),
      headers: traceHeadersOf(headers),
    };
    try {
      // One engine: a Responses call runs as the chat completion it translates to (or, natively,
      // as it is), and its answer is turned back into a response object or Responses events.
      const call = responses ? prepareResponsesCall(body, router.config) : body;
      const result = await router.create(call as never, options);
      const route = routeOf(result);
      const routeHeaders = {
        'x-tiered-endpoint': route?.endpointId ?? '',
        'x-tiered-tier': route?.tier ?? '',
        'x-tiered-request-id': route?.requestId ?? '',
      };
      if (!(result instanceof RouterStream)) {
        const json = responses
          ? responseJson(result, body as Record<string, unknown>, route?.requestId ?? '')
          : JSON.stringify(result);
        return new Response(json, {
          status: 200,
          headers: { 'content-type': 'application/json', ...routeHeaders },
        });
      }
      const stream = responses
        ? responsesSseBody(result, body as Record<string, unknown>)
        : sseBody(result);
      return new Response(stream, {
        status: 200,
        headers: {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          ...routeHeaders,
        },
      });
    } catch (error) {
      // An aborted fetch rejects, as fetch does.
      if (signal?.aborted) throw signal.reason ?? error;
      if (!TieredError.isInstance(error)) throw error;
      const status = error instanceof UpstreamError ? error.status : (STATUS[error.code] ?? 500);
      const param = (error as { param?: unknown }).param;
      return errorResponse(
        status,
        error.code,
        error.message,
        typeof param === 'string' ? param : undefined,
      );
    }
  };
}

function hintsFrom(headers: Headers): RouteHints | undefined {
  const tier = headers.get('x-tiered-tier') ?? undefined;
  const endpoint = headers.get('x-tiered-endpoint') ?? undefined;
  const session = headers.get('x-tiered-session') ?? undefined;
  const priorityRaw = headers.get('x-tiered-priority') ?? undefined;
  const deadlineRaw = headers.get('x-tiered-deadline-ms') ?? undefined;
  const slackRaw = headers.get('x-tiered-slack') ?? undefined;
  if (!tier && !endpoint && !session && !priorityRaw && !deadlineRaw && slackRaw === undefined) {
    return undefined;
  }
  const priority =
    priorityRaw === undefined || priorityRaw === 'interactive' || priorityRaw === 'background'
      ? priorityRaw
      : Number(priorityRaw);
  return {
    tier,
    endpoint,
    session,
    priority,
    deadlineMs: deadlineRaw === undefined ? undefined : Number(deadlineRaw),
    // A header that is not a number ≥ 1 ('', 'fast') becomes NaN and is refused as `route.slack`.
    slack: slackRaw === undefined ? undefined : Number(slackRaw.trim() || Number.NaN),
  };
}

async function bodyText(body: RequestInit['body'] | undefined): Promise<string> {
  if (typeof body === 'string') return body;
  if (body == null) return '';
  return new Response(body).text();
}

// Chunks pass through as the endpoint sent them; a broken stream errors the body, so the client
// sees a failure, never a clean end.
function sseBody(stream: RouterStream): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const item = await stream.nextItem();
        if (item) {
          controller.enqueue(encoder.encode(`data: ${item.data}\n\n`));
        } else {
          controller.enqueue(encoder.encode('data: [DONE]\n\n'));
          controller.close();
        }
      } catch (error) {
        controller.error(error);
      }
    },
    cancel() {
      stream.cancel();
    },
  });
}

function modelsResponse(router: RouterInternals): Response {
  const { tiers, endpoints } = router.config;
  const ids = [
    'auto',
    ...tiers,
    ...endpoints.map((e) => e.id),
    ...new Set(endpoints.map((e) => e.model)),
  ];
  const data = [...new Set(ids)].map((id) => ({
    id,
    object: 'model',
    created: 0,
    owned_by: 'tiered',
  }));
  return new Response(JSON.stringify({ object: 'list', data }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
}

function errorResponse(status: number, code: string, message: string, param?: string): Response {
  return new Response(
    JSON.stringify({ error: { message, type: 'tiered_error', code, param: param ?? null } }),
    {
      status,
      // The router has already retried and failed over: tell OpenAI clients not to retry again.
      // `openai` (and the Agents SDK through it) honour this; the AI SDK and LangChain decide by
      // status alone and retry every 5xx, so the README asks them for `maxRetries: 0`. A 4xx
      // would stop them too, but would tell the caller its request was wrong, which it was not.
      headers: { 'content-type': 'application/json', 'x-should-retry': 'false' },
    },
  );
}
