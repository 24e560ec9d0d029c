/** The body OpenAI sends with every error status. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error answer: status, OpenAI body and extra headers. */
export interface OpenAIErrorReply {
  readonly status: number;
  readonly body: OpenAIErrorBody;
  readonly headers?: Readonly<Record<string, string>>;
}

const reply = (
  status: number,
  message: string,
  type: string,
  param: string | null,
  code: string | null,
  headers?: Record<string, string>,
): OpenAIErrorReply => ({
  status,
  body: { error: { message, type, param, code } },
  ...(headers ? { headers } : {}),
});

/** 400 for a body the mock cannot use. */
export const invalidRequest = (message: string, param: string | null): OpenAIErrorReply =>
  reply(400, message, 'invalid_request_error', param, null);

/** 400 `context_length_exceeded`, word for word as OpenAI words it (clients match on it). */
export const contextLengthExceeded = (
  contextWindow: number,
  promptTokens: number,
  completionTokens: number,
): OpenAIErrorReply =>
  reply(
    400,
    `This model's maximum context length is ${contextWindow} tokens. However, you requested ` +
      `${promptTokens + completionTokens} tokens (${promptTokens} in the messages, ` +
      `${completionTokens} in the completion). Please reduce the length of the messages or completion.`,
    'invalid_request_error',
    'messages',
    'context_length_exceeded',
  );

/**
 * 400 `context_length_exceeded` as the Responses API words it: no token counts, `param: 'input'`.
 */
export const inputTooLong = (): OpenAIErrorReply =>
  reply(
    400,
    'Your input exceeds the context window of this model. Please adjust your input and try again.',
    'invalid_request_error',
    'input',
    'context_length_exceeded',
  );

/** 400 for a `previous_response_id` this endpoint did not produce (or has forgotten). */
export const previousResponseNotFound = (id: string): OpenAIErrorReply =>
  reply(
    400,
    `Previous response with id '${id}' not found.`,
    'invalid_request_error',
    'previous_response_id',
    'previous_response_not_found',
  );

/** 401 for a missing or wrong key. Never echoes the key it was given. */
export const invalidApiKey = (): OpenAIErrorReply =>
  reply(
    401,
    'Incorrect API key provided. You can find your API key in your mock topology.',
    'invalid_request_error',
    null,
    'invalid_api_key',
  );

/** 429 with `Retry-After` (seconds) and `retry-after-ms`, both of which openai-node honours. */
export const rateLimited = (model: string, retryAfterS: number): OpenAIErrorReply =>
  reply(
    429,
    `Rate limit reached for ${model} (injected by tiered-mock). Please try again in ${retryAfterS}s.`,
    'requests',
    null,
    'rate_limit_exceeded',
    {
      'retry-after': String(Math.ceil(retryAfterS)),
      'retry-after-ms': String(Math.round(retryAfterS * 1000)),
    },
  );

/** 5xx `server_error`. */
export const serverError = (status: number): OpenAIErrorReply =>
  status < 500
    ? reply(
        status,
        `The request was refused with ${status} (injected by tiered-mock).`,
        'invalid_request_error',
        null,
        'injected_client_error',
      )
    : reply(
        status,
        'The server had an error while processing your request (injected by tiered-mock).',
        'server_error',
        null,
        'server_error',
      );

/** 404 for an unknown path. */
export const notFound = (method: string, path: string): OpenAIErrorReply =>
  reply(
    404,
    `Unknown request URL: ${method} ${path}.`,
    'invalid_request_error',
    null,
    'unknown_url',
  );
