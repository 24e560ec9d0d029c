import type { AnswerFrames, AnswerRenderer, MockAnswer } from './mock-answer.js';
import type { ChatRequest } from './parse-chat-request.js';

function usageOf(answer: MockAnswer) {
  return {
    prompt_tokens: answer.promptTokens,
    completion_tokens: answer.outputTokens,
    total_tokens: answer.promptTokens + answer.outputTokens,
    ...(answer.cachedTokens > 0
      ? { prompt_tokens_details: { cached_tokens: answer.cachedTokens } }
      : {}),
  };
}

/**
 * Chat completions: a `chat.completion` body, or `chat.completion.chunk` SSE lines (one token each,
 * `delta.role` on the first), a `finish_reason` chunk, the usage chunk when asked, `[DONE]`. Tool
 * calls as `tool_calls` on the message, or as deltas: per call its id and name, then its arguments.
 */
export const chatRenderer: AnswerRenderer<ChatRequest> = {
  json(answer) {
    const calls = answer.toolCalls;
    const message =
      calls.length > 0
        ? {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: calls.map((call) => ({
              id: call.callId,
              type: 'function',
              function: { name: call.name, arguments: call.arguments },
            })),
          }
        : { role: 'assistant', content: answer.pieces.join(''), refusal: null };
    return JSON.stringify({
      id: `chatcmpl-${answer.id}`,
      object: 'chat.completion',
      created: answer.created,
      model: answer.model,
      system_fingerprint: `tiered-mock-${answer.endpointId}`,
      choices: [{ index: 0, message, logprobs: null, finish_reason: answer.finishReason }],
      usage: usageOf(answer),
    });
  },

  stream(answer, request): AnswerFrames {
    // String templates, not JSON.stringify per chunk: the mock must serve thousands of calls/s.
    const base = `{"id":"chatcmpl-${answer.id}","object":"chat.completion.chunk","created":${answer.created},"model":${JSON.stringify(answer.model)},"system_fingerprint":"tiered-mock-${answer.endpointId}","choices":[`;
    const usageTail = request.includeUsage ? ',"usage":null}' : '}';
    const chunk = (delta: unknown, finish: string | null): string =>
      `data: ${base}{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]${usageTail}\n\n`;
    const deltas: unknown[] =
      answer.toolCalls.length > 0
        ? toolCallDeltas(answer).map((delta, i) =>
            i === 0 ? { role: 'assistant', content: null, ...delta } : delta,
          )
        : answer.pieces.map((content, i) =>
            i === 0 ? { role: 'assistant', content } : { content },
          );
    let tail = chunk({}, answer.finishReason);
    if (request.includeUsage) {
      tail += `data: ${base}],"usage":${JSON.stringify(usageOf(answer))}}\n\n`;
    }
    return { head: '', frames: deltas.map((d) => chunk(d, null)), tail: `${tail}data: [DONE]\n\n` };
  },
};

/**
 * Stream deltas of tool calls as OpenAI sends them: per call a first delta with index, id, type and
 * name, then the arguments piece by piece. Each delta is one output token.
 */
function toolCallDeltas(answer: MockAnswer): Record<string, unknown>[] {
  return answer.toolCalls.flatMap((call, index) => [
    {
      tool_calls: [
        { index, id: call.callId, type: 'function', function: { name: call.name, arguments: '' } },
      ],
    },
    ...call.argumentPieces.map((part) => ({
      tool_calls: [{ index, function: { arguments: part } }],
    })),
  ]);
}
