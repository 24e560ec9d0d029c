import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { AttemptFailure } from './attempt-failure.js';

/**
 * A parsed SSE event of a stream: the raw data (for `router.fetch`) and the chunk the engine reads.
 * From a native Responses stream the chunk is what the event amounts to (text, a tool call, the
 * end with usage, or nothing: `choices: []`), and the event itself travels on as it came.
 */
export interface StreamItem {
  readonly data: string;
  readonly chunk: ChatCompletionChunk;
  /** Native Responses stream: the event's type, written as its SSE `event:` line. */
  readonly event?: string | undefined;
  /** Native Responses stream: the model's first output (an output item, text, or the end). */
  readonly firstToken?: boolean | undefined;
  /** Native Responses stream: the terminal event; the stream is complete with it. */
  readonly final?: boolean | undefined;
}

/** Parses one SSE data payload; an error event or garbage is a failure of this attempt. */
export function parseChunk(data: string, endpointId: string): ChatCompletionChunk {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    // No cause: a SyntaxError's message quotes the upstream text.
    throw new AttemptFailure(
      'bad_response',
      `Endpoint ${endpointId} sent a malformed stream chunk`,
    );
  }
  const error = (value as { error?: { message?: unknown } } | null)?.error;
  if (error) {
    const message = typeof error.message === 'string' ? `: ${error.message.slice(0, 300)}` : '';
    throw new AttemptFailure(
      'server',
      `Endpoint ${endpointId} sent an error event mid-stream${message}`,
    );
  }
  if (!Array.isArray((value as { choices?: unknown } | null)?.choices)) {
    throw new AttemptFailure(
      'bad_response',
      `Endpoint ${endpointId} sent a stream chunk without \`choices\``,
    );
  }
  return value as ChatCompletionChunk;
}
