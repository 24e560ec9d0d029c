import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageFunctionToolCall,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { type RequestFacts, spliceJson } from '../estimate/estimate-request.js';
import { AttemptFailure } from './attempt-failure.js';
import { attachNativeAnswer } from './native-answer.js';
import type { StreamItem } from './parse-chunk.js';
import { parseAnswer, type WireCodec } from './wire-codec.js';

type Json = Record<string, unknown>;
type FinishReason = ChatCompletion.Choice['finish_reason'];

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

/**
 * The Responses API spoken natively, for endpoints with `responsesApi: 'native'`: the caller's
 * Responses body goes to `POST {baseURL}/responses` with the endpoint's model, and each upstream
 * event is read into the chunk the engine consumes — text and refusal deltas as content, a
 * function call as a tool call, `response.completed` / `response.incomplete` as the end with its
 * usage, anything else as a chunk without choices — while the event itself travels on to the caller
 * untouched. An `error` or `response.failed` event is a failure of the attempt (before the first
 * output: failover). The first output is the first output item, text or end: from there on the
 * stream is the caller's.
 */
export const responsesCodec: WireCodec = {
  endMarker: 'response.completed',
  url: (endpoint) => endpoint.responsesURL,
  body(facts: RequestFacts, model: string, stream: boolean): string {
    const head = stream
      ? `{"model":${JSON.stringify(model)},"stream":true`
      : `{"model":${JSON.stringify(model)}`;
    return spliceJson(head, facts.responses?.nativeTail() ?? '{}');
  },
  decode: decodeEvent,
  firstToken: (item) => item.firstToken === true,
  completion(text, contentType, endpointId): ChatCompletion {
    const value = parseAnswer(text, contentType, endpointId, 'a response');
    const response = checkedResponse(value, endpointId, 'answered 200 with');
    const completion = completionOf(response);
    attachNativeAnswer(completion, text);
    return completion;
  },
};

function decodeEvent(data: string, endpointId: string): StreamItem {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    throw new AttemptFailure(
      'bad_response',
      `Endpoint ${endpointId} sent a malformed stream event`,
    );
  }
  if (!isObject(event) || typeof event.type !== 'string') {
    throw new AttemptFailure(
      'bad_response',
      `Endpoint ${endpointId} sent a stream event without \`type\``,
    );
  }
  const type = event.type;
  const at = num(event.output_index);
  switch (type) {
    case 'error':
      throw new AttemptFailure(
        'server',
        `Endpoint ${endpointId} sent an error event mid-stream${detail(event.message)}`,
      );
    case 'response.failed': {
      const error = isObject(event.response) ? event.response.error : undefined;
      throw new AttemptFailure(
        'server',
        `Endpoint ${endpointId} sent response.failed${detail(isObject(error) ? error.message : undefined)}`,
      );
    }
    case 'response.output_text.delta':
      return item(data, type, delta({ content: str(event.delta) }), true);
    case 'response.refusal.delta':
      return item(data, type, delta({ refusal: str(event.delta) }), true);
    case 'response.output_item.added': {
      const added = isObject(event.item) ? event.item : {};
      // Any output item is the model's first output, a function call as a tool call (its index in
      // the output stands for the chat tool-call index: the engine only needs them apart).
      const chunk =
        added.type === 'function_call'
          ? delta({
              tool_calls: [
                {
                  index: at,
                  id: str(added.call_id),
                  type: 'function',
                  function: { name: str(added.name), arguments: str(added.arguments) },
                },
              ],
            })
          : empty(undefined);
      return item(data, type, chunk, true);
    }
    case 'response.function_call_arguments.delta':
      return item(
        data,
        type,
        delta({ tool_calls: [{ index: at, function: { arguments: str(event.delta) } }] }),
        true,
      );
    case 'response.completed':
    case 'response.incomplete': {
      const response = checkedResponse(event.response, endpointId, 'ended with');
      const chunk: ChatCompletionChunk = {
        ...empty(response),
        choices: [{ index: 0, delta: {}, finish_reason: finishReasonOf(response), logprobs: null }],
        usage: usageOf(response.usage) ?? null,
      };
      attachNativeAnswer(chunk, response);
      return { data, chunk, event: type, firstToken: true, final: true };
    }
    default:
      return item(data, type, empty(isObject(event.response) ? event.response : undefined), false);
  }
}

const item = (
  data: string,
  event: string,
  chunk: ChatCompletionChunk,
  firstToken: boolean,
): StreamItem => ({ data, chunk, event, firstToken });

function empty(response: Json | undefined): ChatCompletionChunk {
  return {
    id: str(response?.id),
    object: 'chat.completion.chunk',
    created: num(response?.created_at),
    model: str(response?.model),
    choices: [],
  };
}

function delta(d: ChatCompletionChunk.Choice['delta']): ChatCompletionChunk {
  return { ...empty(undefined), choices: [{ index: 0, delta: d, finish_reason: null }] };
}

const detail = (message: unknown) =>
  typeof message === 'string' ? `: ${message.slice(0, 300)}` : '';

// A response object, or the failure it reports.
function checkedResponse(value: unknown, endpointId: string, what: string): Json {
  if (!isObject(value)) {
    throw new AttemptFailure('bad_response', `Endpoint ${endpointId} ${what} no response object`);
  }
  if (isObject(value.error) || value.status === 'failed') {
    const error = isObject(value.error) ? value.error.message : undefined;
    throw new AttemptFailure(
      'server',
      `Endpoint ${endpointId} ${what} a failed response${detail(error)}`,
    );
  }
  if (!Array.isArray(value.output)) {
    throw new AttemptFailure(
      'bad_response',
      `Endpoint ${endpointId} ${what} a response without \`output\``,
    );
  }
  return value;
}

function finishReasonOf(response: Json): FinishReason {
  const output = response.output as unknown[];
  if (output.some((o) => isObject(o) && o.type === 'function_call')) return 'tool_calls';
  if (response.status === 'incomplete') {
    const reason = isObject(response.incomplete_details) ? response.incomplete_details.reason : '';
    return reason === 'content_filter' ? 'content_filter' : 'length';
  }
  return 'stop';
}

function usageOf(usage: unknown): CompletionUsage | undefined {
  if (!isObject(usage)) return undefined;
  const input = num(usage.input_tokens);
  const output = num(usage.output_tokens);
  const cached = isObject(usage.input_tokens_details)
    ? num(usage.input_tokens_details.cached_tokens)
    : 0;
  const reasoning = isObject(usage.output_tokens_details)
    ? num(usage.output_tokens_details.reasoning_tokens)
    : 0;
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: num(usage.total_tokens) || input + output,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}

/** What a native response amounts to as a chat completion, for the engine's bookkeeping. */
function completionOf(response: Json): ChatCompletion {
  let content: string | null = null;
  let refusal: string | null = null;
  const toolCalls: ChatCompletionMessageFunctionToolCall[] = [];
  for (const o of response.output as unknown[]) {
    if (!isObject(o)) continue;
    if (o.type === 'message' && Array.isArray(o.content)) {
      for (const part of o.content) {
        if (!isObject(part)) continue;
        if (part.type === 'output_text') content = (content ?? '') + str(part.text);
        if (part.type === 'refusal') refusal = (refusal ?? '') + str(part.refusal);
      }
    } else if (o.type === 'function_call') {
      toolCalls.push({
        id: str(o.call_id),
        type: 'function',
        function: { name: str(o.name), arguments: str(o.arguments) },
      });
    }
  }
  const usage = usageOf(response.usage);
  return {
    id: str(response.id),
    object: 'chat.completion',
    created: num(response.created_at),
    model: str(response.model),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: finishReasonOf(response),
        logprobs: null,
      },
    ],
    ...(usage ? { usage } : {}),
  };
}
