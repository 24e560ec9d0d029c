import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { bodyFor } from '../estimate/estimate-request.js';
import { AttemptFailure } from './attempt-failure.js';
import { parseChunk } from './parse-chunk.js';
import { parseAnswer, STREAM_END, type WireCodec } from './wire-codec.js';

/** Chat completions: `POST {baseURL}/chat/completions`, chunks as they come, `[DONE]` at the end. */
export const chatCodec: WireCodec = {
  endMarker: '[DONE]',
  url: (endpoint) => endpoint.chatURL,
  body: bodyFor,
  decode: (data, endpointId) =>
    data === '[DONE]' ? STREAM_END : { data, chunk: parseChunk(data, endpointId) },
  firstToken: (item) => isFirstToken(item.chunk),
  completion: parseCompletion,
};

/** The first chunk the caller would see as output: text, a tool call, a refusal, or the end. */
function isFirstToken(chunk: ChatCompletionChunk): boolean {
  const choice = chunk.choices[0];
  if (!choice) return false;
  const delta = choice.delta;
  return (
    (typeof delta?.content === 'string' && delta.content.length > 0) ||
    (Array.isArray(delta?.tool_calls) && delta.tool_calls.length > 0) ||
    (typeof delta?.refusal === 'string' && delta.refusal.length > 0) ||
    choice.finish_reason != null
  );
}

function parseCompletion(text: string, contentType: string, endpointId: string): ChatCompletion {
  const value = parseAnswer(text, contentType, endpointId, 'a completion');
  const o = value as { error?: { message?: unknown }; choices?: unknown } | null;
  if (o?.error) {
    const message = typeof o.error.message === 'string' ? `: ${o.error.message.slice(0, 300)}` : '';
    throw new AttemptFailure(
      'server',
      `Endpoint ${endpointId} answered 200 with an error body${message}`,
    );
  }
  if (!Array.isArray(o?.choices)) {
    throw new AttemptFailure(
      'bad_response',
      `Endpoint ${endpointId} answered 200 without \`choices\``,
    );
  }
  return value as ChatCompletion;
}
