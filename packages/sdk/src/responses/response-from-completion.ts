import type { ChatCompletion } from 'openai/resources/chat/completions';
import type {
  ResponseFunctionToolCall,
  ResponseOutputItem,
  ResponseOutputMessage,
} from 'openai/resources/responses/responses';
import {
  responseEnvelope,
  responseIdOf,
  responseLogprobs,
  responseStatus,
  type WireResponse,
} from './response-envelope.js';

/**
 * A chat completion as the Responses API object it answers: the first choice's text (or refusal)
 * as one `message` item, each tool call as a `function_call` item after it; `finish_reason:
 * 'length'` / `'content_filter'` as an incomplete response; usage as `input_tokens` /
 * `output_tokens`.
 */
export function responseFromCompletion(
  completion: ChatCompletion,
  request: Record<string, unknown>,
  requestId: string,
): WireResponse {
  const choice = completion.choices[0];
  const message = choice?.message;
  const finishReason = choice?.finish_reason ?? 'stop';
  const incomplete = responseStatus(finishReason).status === 'incomplete';
  const id = completion.id || requestId;
  const output: ResponseOutputItem[] = [];
  const content: ResponseOutputMessage['content'] = [];
  if (typeof message?.content === 'string') {
    content.push({
      type: 'output_text',
      text: message.content,
      annotations: [],
      logprobs: responseLogprobs(choice?.logprobs?.content),
    });
  }
  if (typeof message?.refusal === 'string') {
    content.push({ type: 'refusal', refusal: message.refusal });
  }
  const calls = message?.tool_calls ?? [];
  if (content.length > 0 || calls.length === 0) {
    output.push({
      id: `msg_${id}`,
      type: 'message',
      role: 'assistant',
      status: incomplete ? 'incomplete' : 'completed',
      content,
    });
  }
  for (const call of calls) {
    if (call.type !== 'function') continue;
    const item: ResponseFunctionToolCall = {
      id: `fc_${call.id}`,
      type: 'function_call',
      status: 'completed',
      call_id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    };
    output.push(item);
  }
  return responseEnvelope(request, {
    id: responseIdOf(completion.id, requestId),
    createdAt: completion.created,
    model: completion.model,
    finishReason,
    inProgress: false,
    output,
    usage: completion.usage,
  });
}
