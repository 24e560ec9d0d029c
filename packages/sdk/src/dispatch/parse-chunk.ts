import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { AttemptFailure } from './attempt-failure.js';

/** A parsed SSE event of a stream: the raw data (for `router.fetch`) and the chunk. */
export interface StreamItem {
  readonly data: string;
  readonly chunk: ChatCompletionChunk;
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
