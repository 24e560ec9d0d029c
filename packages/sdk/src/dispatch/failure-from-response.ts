import { AttemptFailure } from './attempt-failure.js';

const MAX_ERROR_BODY = 64 * 1024;

/**
 * Turns a non-2xx response into a classified failure: 408/409/429/5xx retryable, a 400
 * `context_length_exceeded` a cue to move to a larger window, 401/403/404 a misconfigured endpoint,
 * any other 4xx the caller's own error.
 */
export async function failureFromResponse(
  res: Response,
  endpointId: string,
  maxRetryAfterMs: number,
): Promise<AttemptFailure> {
  const text = await readCapped(res, MAX_ERROR_BODY).catch(() => '');
  const err = parseOpenAIError(text);
  const status = res.status;
  const detail = err.message ? `: ${err.message.slice(0, 300)}` : '';
  const fields = {
    status,
    type: err.type,
    upstreamCode: err.code,
    param: err.param,
  };
  const isContext =
    err.code === 'context_length_exceeded' || /maximum context length/i.test(err.message ?? '');
  if (status === 400 && isContext) {
    return new AttemptFailure(
      'context_length',
      `Endpoint ${endpointId} refused the prompt as too long${detail}`,
      {
        ...fields,
        reportedPromptTokens: promptTokensFromMessage(err.message),
      },
    );
  }
  if (status === 401 || status === 403 || status === 404) {
    return new AttemptFailure(
      'misconfigured',
      `Endpoint ${endpointId} answered ${status} (check its apiKey, baseURL and model)${detail}`,
      fields,
    );
  }
  if (status === 429) {
    return new AttemptFailure(
      'rate_limited',
      `Endpoint ${endpointId} is rate limiting (429)${detail}`,
      {
        ...fields,
        retryAfterMs: retryAfterMs(res.headers, maxRetryAfterMs),
      },
    );
  }
  if (status >= 500 || status === 408 || status === 409) {
    return new AttemptFailure('server', `Endpoint ${endpointId} answered ${status}${detail}`, {
      ...fields,
      retryAfterMs: retryAfterMs(res.headers, maxRetryAfterMs),
    });
  }
  return new AttemptFailure(
    'client',
    `Endpoint ${endpointId} rejected the request (${status})${detail}`,
    fields,
  );
}

/** OpenAI's `{ error: { message, type, code, param } }`, tolerant of anything else. */
export function parseOpenAIError(text: string): {
  message: string | undefined;
  type: string | undefined;
  code: string | undefined;
  param: string | undefined;
} {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {
      message: text ? text.slice(0, 200).replace(/\s+/g, ' ') : undefined,
      type: undefined,
      code: undefined,
      param: undefined,
    };
  }
  if (typeof body !== 'object' || body === null) {
    return { message: undefined, type: undefined, code: undefined, param: undefined };
  }
  const e = (body as { error?: unknown }).error;
  const o = (typeof e === 'object' && e !== null ? e : body) as Record<string, unknown>;
  const str = (v: unknown) =>
    typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
  return {
    message: str(o.message) ?? (typeof e === 'string' ? e : undefined),
    type: str(o.type),
    code: str(o.code),
    param: str(o.param),
  };
}

function promptTokensFromMessage(message: string | undefined): number | undefined {
  if (!message) return undefined;
  // OpenAI / vLLM: "... you requested 9000 tokens (8500 in the messages, 500 in the completion)"
  const m = /(\d+) in the messages/.exec(message) ?? /(\d+) (?:input|prompt) tokens/.exec(message);
  return m ? Number(m[1]) : undefined;
}

function retryAfterMs(headers: Headers, cap: number): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.min(cap, Math.max(0, Number(ms)));
  const after = headers.get('retry-after');
  if (!after) return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return Math.min(cap, Math.max(0, seconds * 1000));
  const date = Date.parse(after);
  return Number.isFinite(date) ? Math.min(cap, Math.max(0, date - Date.now())) : undefined;
}

/** Reads a body as text, up to `limit` characters, cancelling the rest. */
async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (text.length < limit) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel().catch(() => {});
  return text.slice(0, limit);
}
