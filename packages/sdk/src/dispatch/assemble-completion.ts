import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageFunctionToolCall,
} from 'openai/resources/chat/completions';
import { attachNativeAnswer, nativeAnswerOf } from './native-answer.js';

interface ChoiceState {
  role: 'assistant';
  content: string | null;
  refusal: string | null;
  toolCalls: ChatCompletionMessageFunctionToolCall[];
  functionCall: { name: string; arguments: string } | undefined;
  finishReason: ChatCompletion.Choice['finish_reason'] | null;
  logprobs: ChatCompletion.Choice.Logprobs | null;
}

/**
 * Builds the `ChatCompletion` a plain call returns from the chunks of the stream the router asked
 * for upstream: contents, refusals and tool-call arguments concatenated per choice, the usage from
 * the last chunk. Every call streams upstream so that it has a first token to time out on and a
 * cut answer can still fail over — the caller asked for a whole completion and gets one.
 */
export class CompletionAssembler {
  #first: ChatCompletionChunk | undefined;
  #usage: ChatCompletion['usage'];
  #native: string | object | undefined;
  readonly #choices: ChoiceState[] = [];

  add(chunk: ChatCompletionChunk): void {
    this.#first ??= chunk;
    if (chunk.usage) this.#usage = chunk.usage;
    for (const c of chunk.choices) {
      let state = this.#choices[c.index];
      if (!state) {
        state = {
          role: 'assistant',
          content: null,
          refusal: null,
          toolCalls: [],
          functionCall: undefined,
          finishReason: null,
          logprobs: null,
        };
        this.#choices[c.index] = state;
      }
      const d = c.delta;
      if (typeof d?.content === 'string') state.content = (state.content ?? '') + d.content;
      if (typeof d?.refusal === 'string') state.refusal = (state.refusal ?? '') + d.refusal;
      if (d?.function_call) {
        state.functionCall ??= { name: '', arguments: '' };
        state.functionCall.name += d.function_call.name ?? '';
        state.functionCall.arguments += d.function_call.arguments ?? '';
      }
      for (const t of d?.tool_calls ?? []) {
        let call = state.toolCalls[t.index];
        if (!call) {
          call = { id: '', type: 'function', function: { name: '', arguments: '' } };
          state.toolCalls[t.index] = call;
        }
        if (t.id) call.id = t.id;
        if (t.function?.name) call.function.name += t.function.name;
        if (t.function?.arguments) call.function.arguments += t.function.arguments;
      }
      if (c.logprobs) {
        state.logprobs ??= { content: null, refusal: null };
        if (c.logprobs.content) {
          state.logprobs.content = [...(state.logprobs.content ?? []), ...c.logprobs.content];
        }
        if (c.logprobs.refusal) {
          state.logprobs.refusal = [...(state.logprobs.refusal ?? []), ...c.logprobs.refusal];
        }
      }
      if (c.finish_reason) {
        state.finishReason = c.finish_reason;
        // A native Responses stream's final event: the caller gets that response, as sent.
        this.#native ??= nativeAnswerOf(chunk);
      }
    }
  }

  /** The completion, as a non-streaming call would have returned it. */
  finish(): ChatCompletion {
    const first = this.#first;
    const completion: ChatCompletion = {
      id: first?.id ?? '',
      object: 'chat.completion',
      created: first?.created ?? Math.floor(Date.now() / 1000),
      model: first?.model ?? '',
      choices: this.#choices.map((s, index) => ({
        index,
        message: {
          role: s.role,
          content: s.content,
          refusal: s.refusal,
          ...(s.toolCalls.length > 0 ? { tool_calls: s.toolCalls.filter(Boolean) } : {}),
          ...(s.functionCall ? { function_call: s.functionCall } : {}),
        },
        finish_reason: s.finishReason ?? 'stop',
        logprobs: s.logprobs,
      })),
    };
    if (first?.system_fingerprint) completion.system_fingerprint = first.system_fingerprint;
    if (first?.service_tier) completion.service_tier = first.service_tier;
    if (this.#usage) completion.usage = this.#usage;
    if (this.#native) attachNativeAnswer(completion, this.#native);
    return completion;
  }
}
