import type { ChatRequest } from './parse-chat-request.js';

/** One tool call of an answer (see `planToolCalls`). */
export interface MockToolCall {
  readonly name: string;
  /** `call_<endpoint>_<n>_<i>`: the id the client answers with its tool output. */
  readonly callId: string;
  /** The arguments as a JSON string, valid against the tool's parameters schema. */
  readonly arguments: string;
  /** The arguments in pieces of about a token, as streamed: one output token each. */
  readonly argumentPieces: readonly string[];
}

/**
 * One answer as the engine decided it — what to say, how long, why it stopped — before any API
 * shapes it. Chat completions and the Responses API render the same answer, so both faces share one
 * latency model, one fault draw and one set of counters.
 */
export interface MockAnswer {
  readonly endpointId: string;
  /** Unique per endpoint and request: `<endpoint>-<n>`; each API prefixes it (`chatcmpl-`, `resp_`). */
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
  /** The text, one piece per output token; empty when the answer calls tools. */
  readonly pieces: readonly string[];
  /** The tool calls, in order; empty for a text answer. Each is 1 + its argument pieces tokens. */
  readonly toolCalls: readonly MockToolCall[];
  readonly finishReason: 'stop' | 'length' | 'tool_calls';
  readonly promptTokens: number;
  /** Prompt tokens served from the prefix cache. */
  readonly cachedTokens: number;
  readonly outputTokens: number;
}

/** A streamed answer: what goes out with the headers, one frame per output token, and the end. */
export interface AnswerFrames {
  /** Written with the headers, before the first token (`''` for nothing). */
  readonly head: string;
  /** SSE text of each output token, sent on the decode schedule. */
  readonly frames: readonly string[];
  /** Written after the last token: finish, usage, end of stream. */
  readonly tail: string;
}

/** How one API shapes an answer, whole (JSON) or streamed (SSE). */
export interface AnswerRenderer<R extends ChatRequest> {
  json(answer: MockAnswer, request: R): string;
  stream(answer: MockAnswer, request: R): AnswerFrames;
}
