import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { FetchLike, ResolvedEndpoint } from '../config.js';
import { FIRST_TOKEN_TIMEOUT, HEDGE_LOST, linkAbort } from '../internal/abort.js';
import { redact } from '../internal/redact.js';
import { AttemptFailure } from './attempt-failure.js';
import { failureFromResponse } from './failure-from-response.js';
import { parseChunk, type StreamItem } from './parse-chunk.js';
import { SseReader } from './sse-reader.js';

/** One attempt: one endpoint, one HTTP exchange. */
export interface AttemptSpec {
  readonly endpoint: ResolvedEndpoint;
  /** The request JSON for this endpoint. */
  readonly body: string;
  /**
   * The caller asked for a stream. (The request always asks upstream for one; a server that
   * answers a plain JSON completion instead is accepted only when the caller wanted one.)
   */
  readonly callerStream: boolean;
  /** The request is plain: the timeout covers the whole answer, not a first token. */
  readonly wholeAnswer: boolean;
  /** Complete request headers: the endpoint's own plus the caller's safe ones. */
  readonly headers: Readonly<Record<string, string>>;
  /** Aborts the attempt: the call's signal, or a hedge lane's. */
  readonly signal: AbortSignal;
  readonly fetch: FetchLike;
  /** No response (non-stream) or no first token (stream) by then: the attempt fails over. */
  readonly firstTokenTimeoutMs: number;
  readonly maxRetryAfterMs: number;
  readonly now: () => number;
}

export type AttemptResult =
  | {
      /** A server that ignored `stream: true` and answered the whole completion. */
      readonly kind: 'completion';
      readonly completion: ChatCompletion;
    }
  | {
      readonly kind: 'stream';
      /** Chunks up to and including the first content token. */
      readonly head: readonly StreamItem[];
      /** The stream ended (`[DONE]`) within the head. */
      readonly ended: boolean;
      readonly rest: SseReader;
      /** Aborts the upstream request. */
      readonly controller: AbortController;
      /** Detaches from the parent signal; call once the stream is over. */
      readonly unlink: () => void;
      readonly ttftMs: number;
    };

/**
 * Sends one request to one endpoint and waits for its first content token — until then, any
 * failure is an `AttemptFailure` the dispatcher can fail over from, invisible to the caller.
 * Network, first-token timeout and upstream errors are all classified here.
 */
export async function runAttempt(spec: AttemptSpec): Promise<AttemptResult> {
  const { endpoint } = spec;
  const controller = new AbortController();
  const unlink = linkAbort(spec.signal, controller);
  const timer = setTimeout(() => controller.abort(FIRST_TOKEN_TIMEOUT), spec.firstTokenTimeoutMs);
  timer.unref?.();
  const started = spec.now();
  let keepOpen = false;
  try {
    let res: Response;
    try {
      res = await spec.fetch(endpoint.chatURL, {
        method: 'POST',
        headers: spec.headers,
        body: spec.body,
        signal: controller.signal,
      });
    } catch (error) {
      throw networkFailure(error, controller.signal, spec);
    }
    if (!res.ok) {
      throw await failureFromResponse(res, endpoint.id, spec.maxRetryAfterMs).catch((error) => {
        throw networkFailure(error, controller.signal, spec);
      });
    }
    const contentType = res.headers.get('content-type') ?? '';

    if (!spec.callerStream && !contentType.includes('text/event-stream')) {
      let text: string;
      try {
        text = await readBody(res, endpoint.id);
      } catch (error) {
        throw networkFailure(error, controller.signal, spec);
      }
      return { kind: 'completion', completion: parseCompletion(text, contentType, endpoint.id) };
    }

    if (!contentType.includes('text/event-stream') || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new AttemptFailure(
        'bad_response',
        `Endpoint ${endpoint.id} answered a stream request with \`${contentType || 'no content type'}\`, not text/event-stream`,
        { status: res.status },
      );
    }
    const rest = new SseReader(res.body);
    const head: StreamItem[] = [];
    while (true) {
      let data = rest.take();
      if (data === undefined) {
        try {
          data = await rest.read();
        } catch (error) {
          throw networkFailure(error, controller.signal, spec);
        }
      }
      if (data === undefined) {
        throw new AttemptFailure(
          'connection',
          `Endpoint ${endpoint.id} ended the stream before the first token, without [DONE]`,
        );
      }
      if (data === '[DONE]') {
        keepOpen = true;
        return {
          kind: 'stream',
          head,
          ended: true,
          rest,
          controller,
          unlink,
          ttftMs: spec.now() - started,
        };
      }
      const chunk = parseChunk(data, endpoint.id);
      head.push({ data, chunk });
      if (isFirstToken(chunk)) {
        keepOpen = true;
        return {
          kind: 'stream',
          head,
          ended: false,
          rest,
          controller,
          unlink,
          ttftMs: spec.now() - started,
        };
      }
    }
  } catch (error) {
    controller.abort();
    if (error instanceof AttemptFailure) error.message = redact(error.message, endpoint.secrets);
    throw error;
  } finally {
    clearTimeout(timer);
    if (!keepOpen) unlink();
  }
}

/** The largest plain (non-streaming) answer read: a chat completion is kilobytes, not this. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

// Reads a plain answer's body, refusing one larger than MAX_BODY_BYTES instead of exhausting memory.
async function readBody(res: Response, endpointId: string): Promise<string> {
  const tooLarge = () =>
    new AttemptFailure(
      'bad_response',
      `Endpoint ${endpointId} sent an answer larger than ${MAX_BODY_BYTES} bytes`,
    );
  const length = Number(res.headers.get('content-length') ?? Number.NaN);
  if (length > MAX_BODY_BYTES) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  // A compressed body's length is not its decoded size: only a plain one may be trusted.
  if ((Number.isFinite(length) && !res.headers.has('content-encoding')) || !res.body) {
    return res.text();
  }
  // No length given (chunked): count as we read.
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let text = '';
  while (true) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** The first chunk the caller would see as output: text, a tool call, a refusal, or the end. */
function isFirstToken(chunk: ChatCompletionChunk): boolean {
  const choice = chunk.choices[0];
  if (!choice) return false;
  const delta = choice.delta;
  return (
    (typeof delta?.content === 'string' && delta.content.length > 0) ||
    (Array.isArray(delta?.tool_calls) && delta.tool_calls.length > 0) ||
    (typeof delta?.refusal === 'string' && delta.refusal.length > 0) ||
    choice.finish_reason != null
  );
}

function parseCompletion(text: string, contentType: string, endpointId: string): ChatCompletion {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // No cause: a SyntaxError's message quotes the upstream text.
    const what = contentType.includes('json')
      ? 'invalid JSON'
      : `\`${contentType || 'no content type'}\``;
    throw new AttemptFailure(
      'bad_response',
      `Endpoint ${endpointId} answered 200 with ${what}, not a completion`,
    );
  }
  const o = value as { error?: { message?: unknown }; choices?: unknown } | null;
  if (o?.error) {
    const message = typeof o.error.message === 'string' ? `: ${o.error.message.slice(0, 300)}` : '';
    throw new AttemptFailure(
      'server',
      `Endpoint ${endpointId} answered 200 with an error body${message}`,
    );
  }
  if (!Array.isArray(o?.choices)) {
    throw new AttemptFailure(
      'bad_response',
      `Endpoint ${endpointId} answered 200 without \`choices\``,
    );
  }
  return value as ChatCompletion;
}

function networkFailure(error: unknown, signal: AbortSignal, spec: AttemptSpec): AttemptFailure {
  if (error instanceof AttemptFailure) return error;
  const id = spec.endpoint.id;
  if (signal.aborted) {
    if (signal.reason === FIRST_TOKEN_TIMEOUT) {
      const what = spec.wholeAnswer ? 'answer' : 'first token';
      return new AttemptFailure(
        'timeout',
        `Endpoint ${id} sent no ${what} within ${Math.round(spec.firstTokenTimeoutMs)}ms`,
      );
    }
    if (signal.reason === HEDGE_LOST)
      return new AttemptFailure('aborted', `Attempt on ${id} lost the hedge race`);
    return new AttemptFailure('aborted', `Attempt on ${id} aborted`, { cause: signal.reason });
  }
  const cause = (error as { cause?: { code?: unknown } })?.cause;
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return new AttemptFailure('connection', `Failed to reach endpoint ${id}${code}`, {
    cause: error,
  });
}
