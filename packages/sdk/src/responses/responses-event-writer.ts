import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type {
  ResponseFunctionToolCall,
  ResponseOutputItem,
  ResponseOutputMessage,
  ResponseOutputRefusal,
  ResponseOutputText,
} from 'openai/resources/responses/responses';
import {
  responseEnvelope,
  responseIdOf,
  responseLogprobs,
  responseStatus,
} from './response-envelope.js';

type Json = Record<string, unknown>;

interface OpenMessage {
  readonly kind: 'message';
  readonly index: number;
  readonly item: ResponseOutputMessage;
  part: ResponseOutputText | ResponseOutputRefusal | undefined;
}

interface OpenCall {
  readonly kind: 'call';
  readonly index: number;
  readonly item: ResponseFunctionToolCall;
}

/**
 * Turns the chunks of a chat completion stream into the Responses API's SSE events, in the order
 * OpenAI sends them: `response.created` and `response.in_progress` before the first output; per
 * output item `response.output_item.added`, for text `response.content_part.added`,
 * `response.output_text.delta`… (refusals: `response.refusal.delta`…), `…done` and
 * `response.content_part.done`, for a tool call `response.function_call_arguments.delta`… and
 * `….done`; `response.output_item.done` when the next item starts or the stream ends; and at the
 * clean end `response.completed` (`response.incomplete` when cut at the token limit) with the
 * whole response and its usage. Every event carries its `sequence_number`. One writer per stream.
 */
export class ResponsesEventWriter {
  readonly #request: Json;
  readonly #requestId: string;
  #sequence = 0;
  #started = false;
  #id = '';
  #base = '';
  #model = '';
  #createdAt = 0;
  readonly #output: ResponseOutputItem[] = [];
  #open: OpenMessage | OpenCall | undefined;
  readonly #calls = new Map<number, OpenCall>();
  #finishReason: ChatCompletion.Choice['finish_reason'] | null = null;
  #usage: CompletionUsage | undefined;

  /** `request` is the caller's Responses body (echoed in the response object). */
  constructor(request: Json, requestId: string) {
    this.#request = request;
    this.#requestId = requestId;
  }

  /** The `sequence_number` the next event gets. */
  get nextSequence(): number {
    return this.#sequence;
  }

  /** The events one chat chunk amounts to (the first chunk also opens the response). */
  chunk(chunk: ChatCompletionChunk): string {
    let out = this.#started ? '' : this.#start(chunk);
    if (chunk.usage) this.#usage = chunk.usage;
    for (const choice of chunk.choices) {
      // The Responses API has one output: the first choice.
      if (choice.index !== 0) continue;
      const d = choice.delta;
      if (typeof d?.content === 'string' && d.content.length > 0) {
        out += this.#text(d.content, choice.logprobs?.content);
      }
      if (typeof d?.refusal === 'string' && d.refusal.length > 0) out += this.#refusal(d.refusal);
      if (d?.tool_calls) for (const call of d.tool_calls) out += this.#toolCall(call);
      if (choice.finish_reason) this.#finishReason = choice.finish_reason;
    }
    return out;
  }

  /** The closing events and `response.completed` (or `response.incomplete`), at the clean end. */
  end(): string {
    let out = this.#started ? '' : this.#start(undefined);
    out += this.#close();
    const done = responseStatus(this.#finishReason);
    return (
      out +
      this.#event(done.status === 'completed' ? 'response.completed' : 'response.incomplete', {
        response: this.#response(false),
      })
    );
  }

  /** An `error` event, for a stream that broke: never followed by `response.completed`. */
  error(code: string, message: string): string {
    return this.#event('error', { code, message, param: null });
  }

  #event(type: string, fields: Json): string {
    const data = JSON.stringify({ type, sequence_number: this.#sequence++, ...fields });
    return `event: ${type}\ndata: ${data}\n\n`;
  }

  #response(inProgress: boolean) {
    return responseEnvelope(this.#request, {
      id: this.#id,
      createdAt: this.#createdAt,
      model: this.#model,
      finishReason: this.#finishReason,
      inProgress,
      output: inProgress ? [] : this.#output,
      usage: inProgress ? undefined : this.#usage,
    });
  }

  #start(chunk: ChatCompletionChunk | undefined): string {
    this.#started = true;
    this.#base = chunk?.id || this.#requestId;
    this.#id = responseIdOf(chunk?.id ?? '', this.#requestId);
    this.#model = chunk?.model ?? '';
    this.#createdAt = chunk?.created ?? Math.floor(Date.now() / 1000);
    const response = this.#response(true);
    return (
      this.#event('response.created', { response }) +
      this.#event('response.in_progress', { response })
    );
  }

  // The open message item, opening one (and closing a tool call) if needed.
  #message(): [OpenMessage, string] {
    if (this.#open?.kind === 'message') return [this.#open, ''];
    let out = this.#close();
    const index = this.#output.length;
    const item: ResponseOutputMessage = {
      id: index === 0 ? `msg_${this.#base}` : `msg_${this.#base}_${index}`,
      type: 'message',
      role: 'assistant',
      status: 'in_progress',
      content: [],
    };
    out += this.#event('response.output_item.added', { output_index: index, item });
    this.#output.push(item);
    const open: OpenMessage = { kind: 'message', index, item, part: undefined };
    this.#open = open;
    return [open, out];
  }

  #text(delta: string, logprobs: ChatCompletionChunk.Choice.Logprobs['content'] | undefined) {
    const [m, opened] = this.#message();
    let out = opened;
    let part = m.part;
    if (part?.type !== 'output_text') {
      out += this.#closePart(m);
      part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
      out += this.#openPart(m, part);
    }
    const l = responseLogprobs(logprobs);
    part.text += delta;
    if (l.length > 0) part.logprobs = [...(part.logprobs ?? []), ...l];
    return (
      out +
      this.#event('response.output_text.delta', {
        item_id: m.item.id,
        output_index: m.index,
        content_index: m.item.content.length - 1,
        delta,
        logprobs: l,
      })
    );
  }

  #refusal(delta: string) {
    const [m, opened] = this.#message();
    let out = opened;
    let part = m.part;
    if (part?.type !== 'refusal') {
      out += this.#closePart(m);
      part = { type: 'refusal', refusal: '' };
      out += this.#openPart(m, part);
    }
    part.refusal += delta;
    return (
      out +
      this.#event('response.refusal.delta', {
        item_id: m.item.id,
        output_index: m.index,
        content_index: m.item.content.length - 1,
        delta,
      })
    );
  }

  #openPart(m: OpenMessage, part: ResponseOutputText | ResponseOutputRefusal): string {
    m.part = part;
    m.item.content.push(part);
    const empty = part.type === 'output_text' ? { ...part, text: '' } : { ...part, refusal: '' };
    return this.#event('response.content_part.added', {
      item_id: m.item.id,
      output_index: m.index,
      content_index: m.item.content.length - 1,
      part: empty,
    });
  }

  #closePart(m: OpenMessage): string {
    const part = m.part;
    if (!part) return '';
    m.part = undefined;
    const at = {
      item_id: m.item.id,
      output_index: m.index,
      content_index: m.item.content.length - 1,
    };
    const done =
      part.type === 'output_text'
        ? this.#event('response.output_text.done', {
            ...at,
            text: part.text,
            logprobs: part.logprobs ?? [],
          })
        : this.#event('response.refusal.done', { ...at, refusal: part.refusal });
    return done + this.#event('response.content_part.done', { ...at, part });
  }

  #toolCall(delta: ChatCompletionChunk.Choice.Delta.ToolCall): string {
    let out = '';
    let call = this.#calls.get(delta.index);
    if (!call) {
      out += this.#close();
      const index = this.#output.length;
      const item: ResponseFunctionToolCall = {
        id: delta.id ? `fc_${delta.id}` : `fc_${this.#base}_${index}`,
        type: 'function_call',
        status: 'in_progress',
        call_id: delta.id ?? '',
        name: delta.function?.name ?? '',
        arguments: '',
      };
      out += this.#event('response.output_item.added', { output_index: index, item });
      this.#output.push(item);
      call = { kind: 'call', index, item };
      this.#calls.set(delta.index, call);
      this.#open = call;
    } else if (delta.function?.name) {
      call.item.name += delta.function.name;
    }
    const args = delta.function?.arguments;
    if (args) {
      call.item.arguments += args;
      out += this.#event('response.function_call_arguments.delta', {
        item_id: call.item.id,
        output_index: call.index,
        delta: args,
      });
    }
    return out;
  }

  // Closes the open item: its last part, then `response.output_item.done`.
  #close(): string {
    const open = this.#open;
    if (!open) return '';
    this.#open = undefined;
    if (open.kind === 'call') {
      open.item.status = 'completed';
      return (
        this.#event('response.function_call_arguments.done', {
          item_id: open.item.id,
          output_index: open.index,
          name: open.item.name,
          arguments: open.item.arguments,
        }) + this.#event('response.output_item.done', { output_index: open.index, item: open.item })
      );
    }
    const out = this.#closePart(open);
    open.item.status = responseStatus(this.#finishReason).status;
    return (
      out + this.#event('response.output_item.done', { output_index: open.index, item: open.item })
    );
  }
}
