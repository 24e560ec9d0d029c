import type { AnswerFrames, AnswerRenderer, MockAnswer, MockToolCall } from './mock-answer.js';
import type { ResponsesRequest } from './parse-responses-request.js';

type Status = 'completed' | 'incomplete' | 'in_progress';

function usageOf(answer: MockAnswer) {
  return {
    input_tokens: answer.promptTokens,
    input_tokens_details: { cached_tokens: answer.cachedTokens },
    output_tokens: answer.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: answer.promptTokens + answer.outputTokens,
  };
}

const finalStatus = (answer: MockAnswer): Status =>
  answer.finishReason === 'length' ? 'incomplete' : 'completed';

function callItem(answer: MockAnswer, call: MockToolCall, index: number, status: Status) {
  return {
    id: `fc_${answer.id}_${index}`,
    type: 'function_call',
    status,
    arguments: status === 'in_progress' ? '' : call.arguments,
    call_id: call.callId,
    name: call.name,
  };
}

function messageItem(answer: MockAnswer, status: Status) {
  return {
    id: `msg_${answer.id}`,
    type: 'message',
    status,
    role: 'assistant',
    content: status === 'in_progress' ? [] : [textPart(answer.pieces.join(''))],
  };
}

/** The output items: one per tool call, else one message. */
function outputItems(answer: MockAnswer, status: Status) {
  return answer.toolCalls.length > 0
    ? answer.toolCalls.map((call, i) => callItem(answer, call, i, 'completed'))
    : [messageItem(answer, status)];
}

const textPart = (text: string) => ({ type: 'output_text', annotations: [], logprobs: [], text });

/** The response object, as OpenAI returns it and as `response.*` events carry it. */
function responseObject(answer: MockAnswer, request: ResponsesRequest, status: Status) {
  const done = status !== 'in_progress';
  return {
    id: `resp_${answer.id}`,
    object: 'response',
    created_at: answer.created,
    status,
    background: false,
    completed_at: status === 'completed' ? answer.created : null,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    ...request.echo,
    model: answer.model,
    output: done ? outputItems(answer, status) : [],
    reasoning: { effort: null, summary: null },
    store: request.store,
    truncation: 'disabled',
    usage: done ? usageOf(answer) : null,
  };
}

/** One SSE event with its `sequence_number`, numbered in the order written. */
function eventWriter() {
  let sequence = 0;
  return (type: string, fields: Record<string, unknown>): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`;
}

/**
 * The Responses API: a `response` object, or its SSE events as OpenAI sends them —
 * `response.created`, `response.in_progress` (with the headers), then per output item
 * `response.output_item.added`, for text `response.content_part.added` and one
 * `response.output_text.delta` per token, `…output_text.done`, `…content_part.done`; for each tool
 * call `response.function_call_arguments.delta` per piece of arguments and `.done`;
 * `response.output_item.done`, and
 * `response.completed` (or `response.incomplete` when cut at `max_output_tokens`) with the whole
 * response and its usage. Every event has a `sequence_number`.
 */
export const responsesRenderer: AnswerRenderer<ResponsesRequest> = {
  json(answer, request) {
    return JSON.stringify(responseObject(answer, request, finalStatus(answer)));
  },

  stream(answer, request): AnswerFrames {
    const event = eventWriter();
    const status = finalStatus(answer);
    const head =
      event('response.created', { response: responseObject(answer, request, 'in_progress') }) +
      event('response.in_progress', { response: responseObject(answer, request, 'in_progress') });
    const frames: string[] = [];
    let tail = '';
    // Built in order: the numbering follows the order of the calls to `event`.
    if (answer.toolCalls.length > 0) {
      let closing = '';
      for (const [index, call] of answer.toolCalls.entries()) {
        const item = callItem(answer, call, index, 'completed');
        // A call's first token is its item (name, id); the previous call is done before it.
        frames.push(
          closing +
            event('response.output_item.added', {
              output_index: index,
              item: callItem(answer, call, index, 'in_progress'),
            }),
        );
        for (const piece of call.argumentPieces) {
          frames.push(
            event('response.function_call_arguments.delta', {
              item_id: item.id,
              output_index: index,
              delta: piece,
            }),
          );
        }
        closing =
          event('response.function_call_arguments.done', {
            item_id: item.id,
            output_index: index,
            arguments: call.arguments,
            name: call.name,
          }) + event('response.output_item.done', { output_index: index, item });
      }
      tail = closing;
    } else {
      const item = messageItem(answer, status);
      const at = { item_id: item.id, output_index: 0, content_index: 0 };
      for (const [i, piece] of answer.pieces.entries()) {
        const opening =
          i === 0
            ? event('response.output_item.added', {
                output_index: 0,
                item: messageItem(answer, 'in_progress'),
              }) + event('response.content_part.added', { ...at, part: textPart('') })
            : '';
        frames.push(
          opening + event('response.output_text.delta', { ...at, delta: piece, logprobs: [] }),
        );
      }
      const text = answer.pieces.join('');
      tail =
        event('response.output_text.done', { ...at, text, logprobs: [] }) +
        event('response.content_part.done', { ...at, part: textPart(text) }) +
        event('response.output_item.done', { output_index: 0, item });
    }
    tail += event(status === 'incomplete' ? 'response.incomplete' : 'response.completed', {
      response: responseObject(answer, request, status),
    });
    return { head, frames, tail };
  },
};
