import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { FetchLike, ResolvedEndpoint } from '../config.js';
import { FIRST_TOKEN_TIMEOUT, HEDGE_LOST, linkAbort } from '../internal/abort.js';
import { redact } from '../internal/redact.js';
import { AttemptFailure } from './attempt-failure.js';
import { failureFromResponse } from './failure-from-response.js';
import type { StreamItem } from './parse-chunk.js';
import { SseReader } from './sse-reader.js';
import { STREAM_END, type WireCodec } from './wire-codec.js';

/** One attempt: one endpoint, one HTTP exchange. */
export interface AttemptSpec {
  readonly endpoint: ResolvedEndpoint;
  /** How this attempt speaks to the endpoint: URL, and how its answer is read. */
  readonly codec: WireCodec;
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
      /** The stream ended (`[DONE]`, or a native final event) within the head. */
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
  const { endpoint, codec } = spec;
  const controller = new AbortController();
  const unlink = linkAbort(spec.signal, controller);
  const timer = setTimeout(() => controller.abort(FIRST_TOKEN_TIMEOUT), spec.firstTokenTimeoutMs);
  timer.unref?.();
  const started = spec.now();
  let keepOpen = false;
  try {
    let res: Response;
    try {
      res = await spec.fetch(codec.url(endpoint), {
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
      return { kind: 'completion', completion: codec.completion(text, contentType, endpoint.id) };
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
          `Endpoint ${endpoint.id} ended the stream before the first token, without ${codec.endMarker}`,
        );
      }
      const item = codec.decode(data, endpoint.id);
      if (item !== STREAM_END) head.push(item);
      const ended = item === STREAM_END || item.final === true;
      if (ended || codec.firstToken(item)) {
        keepOpen = true;
        return {
          kind: 'stream',
          head,
          ended,
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
