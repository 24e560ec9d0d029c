import type { RouterChatParams } from '../call-types.js';
import type { ResolvedConfig } from '../config.js';
import { InvalidRequestError } from '../errors.js';
import {
  estimateRequest,
  type RequestFacts,
  type ResponsesFacts,
  withFacts,
} from '../estimate/estimate-request.js';
import { translateResponsesRequest } from './translate-request.js';

/**
 * Turns a Responses API body into a call the engine runs: the chat completion it translates to,
 * with its facts read once and the Responses body kept (serialized on first use) for endpoints
 * that take it natively. A body that does not translate runs as is, on native endpoints only; with
 * none configured it is refused with an `InvalidRequestError` naming the field.
 */
export function prepareResponsesCall(body: unknown, config: ResolvedConfig): RouterChatParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('Failed to route the call: the body must be an object');
  }
  const request = body as Record<string, unknown>;
  const translated = translateResponsesRequest(request);
  const { model, stream: _stream, ...rest } = request;
  let tail: string | undefined;
  const responses: ResponsesFacts = { nativeTail: () => (tail ??= JSON.stringify(rest)) };

  if (translated.chat) {
    const chat = translated.chat;
    return withFacts(chat, { ...estimateRequest(chat), responses });
  }

  const { field, why } = translated.nativeOnly ?? { field: '', why: '' };
  if (!config.endpoints.some((e) => e.responsesApi === 'native')) {
    throw new InvalidRequestError(
      `Failed to route the call: \`${field}\` ${why}; only an endpoint with \`responsesApi: 'native'\` can take it, and none is configured`,
      field,
    );
  }
  const text = request.text as { format?: { type?: unknown } } | undefined;
  const format = text?.format?.type;
  const stream = request.stream === true;
  const max = request.max_output_tokens;
  const facts: RequestFacts = {
    promptChars: Math.max(1, responses.nativeTail().length - translated.imageChars),
    imageParts: translated.imageParts,
    maxOutputTokens: typeof max === 'number' ? max : undefined,
    needs: {
      tools: Array.isArray(request.tools) && request.tools.length > 0,
      jsonSchema: format === 'json_schema',
      vision: translated.imageParts > 0,
      nativeResponses: true,
    },
    wantsJson: format === 'json_schema' || format === 'json_object',
    stream,
    // A Responses stream ends with its usage; the engine passes every event on.
    streamUsage: true,
    model: typeof model === 'string' ? model : undefined,
    // Never sent as a chat completion: only native endpoints pass the filter.
    bodyTail: '{}',
    streamOptions: '{}',
    responses,
  };
  // The engine reads `model` and `stream` from the facts; the object only carries them through.
  return withFacts({ model: facts.model, stream } as RouterChatParams, facts);
}
