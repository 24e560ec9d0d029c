import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { ResolvedEndpoint } from '../config.js';
import type { RequestFacts } from '../estimate/estimate-request.js';
import { AttemptFailure } from './attempt-failure.js';
import type { StreamItem } from './parse-chunk.js';

/** What `decode` returns for the clean end of a stream (`[DONE]`). */
export const STREAM_END = Symbol('stream end');

/**
 * How one attempt speaks to its endpoint: where it posts, the body it sends, and how it reads the
 * answer back into the chunks the engine consumes. Routing, retries, failover, first-token and
 * stall timeouts, cut-stream detection, budgets, events and stats work on those chunks, so one
 * engine serves every wire format: chat completions (`chatCodec`) and, for endpoints that take
 * the Responses API natively, `responsesCodec`.
 */
export interface WireCodec {
  /** How the clean end is marked, for messages: `[DONE]`, `response.completed`. */
  readonly endMarker: string;
  url(endpoint: ResolvedEndpoint): string;
  /** The request JSON for this endpoint's model, plain or asking for a stream. */
  body(facts: RequestFacts, model: string, stream: boolean): string;
  /**
   * One SSE data payload as a stream item, or `STREAM_END`. Throws an `AttemptFailure` for garbage
   * or an error event.
   */
  decode(data: string, endpointId: string): StreamItem | typeof STREAM_END;
  /** The first item the caller would see as output: before it, failover stays invisible. */
  firstToken(item: StreamItem): boolean;
  /** A plain (non-streamed) answer's body, as a chat completion. Throws an `AttemptFailure`. */
  completion(text: string, contentType: string, endpointId: string): ChatCompletion;
}

/**
 * A plain answer's body as JSON; an `AttemptFailure` (`bad_response`) naming what came instead.
 * `what` names the answer expected: `'a completion'`, `'a response'`.
 */
export function parseAnswer(
  text: string,
  contentType: string,
  endpointId: string,
  what: string,
): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // No cause: a SyntaxError's message quotes the upstream text.
    const came = contentType.includes('json')
      ? 'invalid JSON'
      : `\`${contentType || 'no content type'}\``;
    throw new AttemptFailure(
      'bad_response',
      `Endpoint ${endpointId} answered 200 with ${came}, not ${what}`,
    );
  }
}
