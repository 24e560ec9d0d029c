import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { StreamInterruptedError, type TieredError } from '../errors.js';
import type { ResponseMeta } from '../events.js';
import { STALL_TIMEOUT } from '../internal/abort.js';
import { redact } from '../internal/redact.js';
import { AttemptFailure } from './attempt-failure.js';
import type { StreamItem } from './parse-chunk.js';
import type { SseReader } from './sse-reader.js';
import { STREAM_END, type WireCodec } from './wire-codec.js';

const SKIP = Symbol('skip');
// Choices whose finish reason is kept: an upstream's `index` must not size an array.
const MAX_CHOICES = 128;

/** How a stream ended, for the router's bookkeeping. */
export type StreamOutcome =
  | {
      readonly ok: true;
      readonly usage: CompletionUsage | undefined;
      readonly lastChunkAt: number;
      /** Chunks with choices received (≈ output tokens when usage is missing). */
      readonly contentChunks: number;
      readonly response: ResponseMeta;
    }
  | {
      readonly ok: false;
      readonly error: TieredError;
      /** The consumer stopped reading (`break`, `cancel()`). */
      readonly cancelled: boolean;
      /** Every choice had finished when it stopped: the answer was complete. */
      readonly complete: boolean;
      /** Dropped by the router (a hedge's loser), never seen by a caller. */
      readonly discarded: boolean;
      readonly lastChunkAt: number;
      readonly contentChunks: number;
      /** What had arrived; a choice that had not finished counts as `error`. */
      readonly response: ResponseMeta;
    };

export interface RouterStreamSpec {
  readonly requestId: string;
  readonly endpointId: string;
  readonly tier: string;
  readonly head: readonly StreamItem[];
  readonly ended: boolean;
  readonly rest: SseReader;
  /** Reads the rest of the stream as the attempt read its head. */
  readonly codec: WireCodec;
  readonly controller: AbortController;
  /** Pass on the usage-only final chunk (the caller asked for `include_usage`). */
  readonly streamUsage: boolean;
  /** The endpoint's secrets, redacted from anything upstream says mid-stream. */
  readonly secrets: readonly string[];
  readonly stallMs: number;
  readonly now: () => number;
  /** The caller's abort or total timeout, as the error to throw; `undefined` if not aborted. */
  readonly abortError: () => TieredError | undefined;
  /**
   * Called exactly once when the stream is over, however it ended — read to the end, broken,
   * cancelled, or aborted while nobody was reading.
   */
  readonly onSettle: (outcome: StreamOutcome) => void;
}

/**
 * The stream `create({ stream: true })` resolves to, once the first content token arrived (before
 * it, failover is invisible). Iterate it once with `for await`. A stall, a cut connection, a garbled
 * chunk or an end without `[DONE]` makes the iterator throw a `StreamInterruptedError`: a broken
 * stream never ends as if it were complete. `break` (or `controller.abort()`) aborts upstream.
 */
export class RouterStream implements AsyncIterable<ChatCompletionChunk> {
  /** Aborts the upstream request. */
  readonly controller: AbortController;
  readonly requestId: string;
  /** The endpoint serving this stream. */
  readonly endpointId: string;
  readonly tier: string;

  readonly #spec: RouterStreamSpec;
  #headIndex = 0;
  #ended: boolean;
  #settled = false;
  /** Thrown by every read after the stream broke. */
  #error: TieredError | undefined;
  #usage: CompletionUsage | undefined;
  #contentChunks = 0;
  #unfinished = new Set<number>();
  #sawChunk = false;
  #responseId: unknown;
  #responseModel: unknown;
  #finishReasons: string[] | undefined;
  #lastChunkAt: number;
  #waitingSince: number | undefined;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #iterating = false;
  readonly #onAbort = () => this.#abortedWhileIdle();

  constructor(spec: RouterStreamSpec) {
    this.#spec = spec;
    this.controller = spec.controller;
    this.requestId = spec.requestId;
    this.endpointId = spec.endpointId;
    this.tier = spec.tier;
    this.#ended = spec.ended;
    this.#lastChunkAt = spec.now();
    for (const item of spec.head) this.#note(item.chunk);
    if (this.#ended) {
      this.#settle(this.#success());
    } else {
      // Aborted (caller, total timeout, close) while nobody reads: settle now, not at the next read.
      spec.controller.signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatCompletionChunk> {
    if (this.#iterating) throw new TypeError('A RouterStream can be iterated only once');
    this.#iterating = true;
    return {
      next: async () => {
        const item = await this.nextItem();
        return item ? { done: false, value: item.chunk } : { done: true, value: undefined };
      },
      return: async () => {
        this.cancel();
        return { done: true, value: undefined };
      },
    };
  }

  /**
   * The next chunk if it is already buffered — no waiting, no microtask — or `null` when the
   * network must be read (call `nextItem`); `undefined` at the clean end.
   */
  takeItem(): StreamItem | undefined | null {
    const spec = this.#spec;
    while (true) {
      const head = spec.head[this.#headIndex];
      if (head) {
        this.#headIndex++;
        if (!this.#wanted(head.chunk)) continue;
        return head;
      }
      if (this.#error) throw this.#error;
      if (this.#ended || this.#settled) return undefined;
      const data = spec.rest.take();
      if (data === undefined) return null;
      const item = this.#process(data);
      if (item !== SKIP) return item;
    }
  }

  /**
   * The next chunk with its raw SSE data, or `undefined` at the clean end. Used by `router.fetch`
   * to pass chunks through without re-serializing them.
   */
  async nextItem(): Promise<StreamItem | undefined> {
    const spec = this.#spec;
    while (true) {
      const ready = this.takeItem();
      if (ready !== null) return ready;
      let data: string | undefined;
      this.#waitingSince = spec.now();
      this.#armWatchdog();
      try {
        data = await spec.rest.read();
      } catch (cause) {
        throw this.#fail(this.#interruption(cause));
      } finally {
        this.#waitingSince = undefined;
      }
      const item = this.#process(data);
      if (item !== SKIP) return item;
    }
  }

  // One SSE event: a chunk for the caller, the clean end, or SKIP (usage the caller did not ask for).
  #process(data: string | undefined): StreamItem | undefined | typeof SKIP {
    const spec = this.#spec;
    if (data === undefined) {
      throw this.#fail(
        this.#interrupted(
          'incomplete',
          `Stream from ${spec.endpointId} ended without ${spec.codec.endMarker}`,
        ),
      );
    }
    let item: StreamItem | typeof STREAM_END;
    try {
      item = spec.codec.decode(data, spec.endpointId);
    } catch (cause) {
      const reason =
        cause instanceof AttemptFailure && cause.failure === 'server'
          ? 'upstream_error'
          : 'malformed';
      const message = redact((cause as Error).message, spec.secrets);
      throw this.#fail(this.#interrupted(reason, message));
    }
    if (item === STREAM_END) {
      this.#ended = true;
      this.#settle(this.#success());
      return undefined;
    }
    this.#lastChunkAt = spec.now();
    this.#note(item.chunk);
    if (item.final) {
      // A native Responses stream ends with its terminal event, which the caller still gets.
      this.#ended = true;
      this.#settle(this.#success());
      return item;
    }
    return this.#wanted(item.chunk) ? item : SKIP;
  }

  /**
   * The chunks as a `ReadableStream` of newline-delimited JSON, as `openai`'s
   * `Stream.toReadableStream()` gives them (readable again with `Stream.fromReadableStream`). A
   * broken stream errors it; cancelling it aborts upstream.
   */
  toReadableStream(): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const item = await this.nextItem();
          if (item) controller.enqueue(encoder.encode(`${item.data}\n`));
          else controller.close();
        } catch (error) {
          controller.error(error);
        }
      },
      cancel: () => this.cancel(),
    });
  }

  /** Stops reading and aborts upstream (what `break` in `for await` does). */
  cancel(): void {
    this.#stop(false);
  }

  /** Drops a stream no caller will read (a hedge's loser): aborts upstream, frees its slot. */
  discard(): void {
    this.#stop(true);
  }

  #stop(discarded: boolean): void {
    if (this.#settled) return;
    const why = discarded ? 'Stream discarded' : 'Stream cancelled by the caller';
    this.#settle({
      ok: false,
      error: this.#interrupted('disconnect', why),
      cancelled: true,
      complete: this.#unfinished.size === 0 && this.#contentChunks > 0,
      discarded,
      lastChunkAt: this.#lastChunkAt,
      contentChunks: this.#contentChunks,
      response: this.#response(),
    });
    this.controller.abort();
    this.#spec.rest.cancel();
  }

  #abortedWhileIdle(): void {
    if (this.#settled || this.#waitingSince !== undefined) return; // a pending read settles it
    this.#fail(this.#spec.abortError() ?? this.#interrupted('disconnect', 'Stream aborted'));
    this.#spec.rest.cancel();
  }

  #success(): StreamOutcome {
    return {
      ok: true,
      usage: this.#usage,
      lastChunkAt: this.#lastChunkAt,
      contentChunks: this.#contentChunks,
      response: this.#response(),
    };
  }

  // Every chunk passes here once, already parsed: the answer's id, model and finish reasons are
  // collected on the way at the cost of a few field reads.
  #note(chunk: ChatCompletionChunk): void {
    if (!this.#sawChunk) {
      this.#sawChunk = true;
      this.#responseId = chunk.id;
      this.#responseModel = chunk.model;
    }
    if (chunk.usage) this.#usage = chunk.usage;
    for (const c of chunk.choices) {
      if (c.finish_reason) {
        this.#unfinished.delete(c.index);
        if (c.index >= 0 && c.index < MAX_CHOICES) {
          this.#finishReasons ??= [];
          this.#finishReasons[c.index] = c.finish_reason;
        }
      } else this.#unfinished.add(c.index);
    }
    if (chunk.choices.length > 0) this.#contentChunks++;
  }

  // A choice that never finished (the stream broke) reports `error`, as the GenAI conventions ask.
  #response(): ResponseMeta {
    const reasons = this.#finishReasons ?? [];
    let length = reasons.length;
    for (const i of this.#unfinished) if (i >= length && i < MAX_CHOICES) length = i + 1;
    const finishReasons: string[] = [];
    for (let i = 0; i < length; i++) finishReasons.push(reasons[i] ?? 'error');
    return {
      id: typeof this.#responseId === 'string' ? this.#responseId : undefined,
      model: typeof this.#responseModel === 'string' ? this.#responseModel : undefined,
      finishReasons,
    };
  }

  // The usage-only chunk goes to callers that asked for it; the router asked on its own behalf.
  #wanted(chunk: ChatCompletionChunk): boolean {
    return this.#spec.streamUsage || chunk.choices.length > 0;
  }

  #interruption(cause: unknown): TieredError {
    const aborted = this.#spec.abortError();
    if (aborted) return aborted;
    if (this.controller.signal.reason === STALL_TIMEOUT) {
      return this.#interrupted(
        'stall',
        `Stream from ${this.#spec.endpointId} stalled for ${this.#spec.stallMs}ms`,
        cause,
      );
    }
    return this.#interrupted(
      'disconnect',
      `Stream from ${this.#spec.endpointId} was cut mid-way`,
      cause,
    );
  }

  #interrupted(
    reason: StreamInterruptedError['reason'],
    message: string,
    cause?: unknown,
  ): StreamInterruptedError {
    return new StreamInterruptedError(`${message} after ${this.#contentChunks} chunks`, {
      endpointId: this.#spec.endpointId,
      reason,
      chunksReceived: this.#contentChunks,
      cause,
    });
  }

  #fail(error: TieredError): TieredError {
    this.#error = error;
    this.#settle({
      ok: false,
      error,
      cancelled: false,
      complete: false,
      discarded: false,
      lastChunkAt: this.#lastChunkAt,
      contentChunks: this.#contentChunks,
      response: this.#response(),
    });
    this.controller.abort();
    return error;
  }

  #settle(outcome: StreamOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#spec.controller.signal.removeEventListener('abort', this.#onAbort);
    this.#spec.onSettle(outcome);
  }

  // One timer for the whole stream, re-armed lazily: a timer per chunk would cost more than the
  // chunk. It fires only while we wait on upstream, not while the caller is slow to read.
  #armWatchdog(): void {
    if (this.#watchdog) return;
    const check = () => {
      this.#watchdog = undefined;
      if (this.#settled) return;
      const since = this.#waitingSince;
      if (since === undefined) return;
      const waited = this.#spec.now() - since;
      if (waited >= this.#spec.stallMs) {
        this.controller.abort(STALL_TIMEOUT);
        return;
      }
      this.#watchdog = setTimeout(check, this.#spec.stallMs - waited);
      this.#watchdog.unref?.();
    };
    this.#watchdog = setTimeout(check, this.#spec.stallMs);
    this.#watchdog.unref?.();
  }
}
