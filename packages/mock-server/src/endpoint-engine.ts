import { chatRenderer } from './chat-renderer.js';
import { completionPieces, leadWords } from './completion-content.js';
import { drawFault, type FaultKind } from './draw-fault.js';
import { hashString, mulberry32, type Rng } from './internal/rng.js';
import type { AnswerRenderer, MockAnswer, MockToolCall } from './mock-answer.js';
import {
  createMockStats,
  MAX_AUTHORIZATION_VALUES,
  MAX_TRACE_HEADERS,
  type MockStats,
  snapshotStats,
  type TraceHeaders,
} from './mock-stats.js';
import {
  contextLengthExceeded,
  inputTooLong,
  invalidApiKey,
  invalidRequest,
  notFound,
  type OpenAIErrorReply,
  previousResponseNotFound,
  rateLimited,
  serverError,
} from './openai-error.js';
import {
  type ChatRequest,
  type ChatRequestProblem,
  isChatRequestProblem,
  parseChatRequest,
} from './parse-chat-request.js';
import { parseResponsesRequest, type ResponsesRequest } from './parse-responses-request.js';
import { planTimeline } from './plan-timeline.js';
import { planToolCalls } from './plan-tool-calls.js';
import { PrefixCache } from './prefix-cache.js';
import { mergeProfile, type ResolvedProfile, resolveProfile } from './resolve-profile.js';
import { responsesRenderer } from './responses-renderer.js';
import { SlotQueue } from './slot-queue.js';
import {
  type EndpointProfile,
  type ProfilePatch,
  parseProfilePatch,
  TopologyError,
} from './topology.js';

/** A request as the engine sees it, whichever face (node:http, msw) received it. */
export interface EngineRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** Aborts when the client goes away before the answer is finished. */
  readonly signal: AbortSignal;
}

/**
 * Where the engine writes its answer. Each face adapts it: node:http writes to the socket, msw
 * builds a web `Response` with a `ReadableStream` body.
 */
export interface ResponseSink {
  head(status: number, headers: Record<string, string>): void;
  write(chunk: string): void;
  end(chunk?: string): void;
  /** Cuts the connection without a clean end (injected disconnect). */
  destroy(): void;
}

/** Time source and timers, injectable for tests. */
export interface EngineClock {
  now(): number;
  /** Waits `ms`, or less if `signal` aborts (it never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The real clock: `performance.now()` and `setTimeout`. */
export const realClock: EngineClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Options of one {@link EndpointEngine}. */
export interface EndpointEngineOptions {
  readonly profile: EndpointProfile;
  /** Topology seed; mixed with a hash of the endpoint id. @default 1 */
  readonly seed?: number | undefined;
  /** Multiplies every delay. @default 1 */
  readonly timeScale?: number | undefined;
  readonly clock?: EngineClock | undefined;
  /** Called when `down` changes, so the face can close or reopen its listener. */
  readonly onDownChange?: ((down: boolean) => Promise<void> | void) | undefined;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

/** One generating API: how its body is read and its answer shaped. */
interface MockApi<R extends ChatRequest> {
  readonly parse: (body: string) => R | ChatRequestProblem;
  readonly renderer: AnswerRenderer<R>;
  /** The 400 for a prompt over the context window, worded as this API words it. */
  readonly tooLong: (
    contextWindow: number,
    promptTokens: number,
    requested: number,
  ) => OpenAIErrorReply;
}

const CHAT: MockApi<ChatRequest> = {
  parse: parseChatRequest,
  renderer: chatRenderer,
  tooLong: contextLengthExceeded,
};

const RESPONSES: MockApi<ResponsesRequest> = {
  parse: parseResponsesRequest,
  renderer: responsesRenderer,
  tooLong: inputTooLong,
};

// Responses remembered for `previous_response_id` (id → tokens of their whole context): enough for
// a test's conversations, bounded under load.
const MAX_STORED_RESPONSES = 1000;

const header = (req: EngineRequest, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The one engine behind every face: an endpoint profile plus its state (stats, slots, seeded PRNG,
 * prefix cache), turning requests into answers written to a {@link ResponseSink}.
 */
export class EndpointEngine {
  readonly id: string;
  readonly #initial: EndpointProfile;
  #source: EndpointProfile;
  #profile: ResolvedProfile;
  readonly #seed: number;
  readonly #timeScale: number;
  readonly #clock: EngineClock;
  readonly #onDownChange: EndpointEngineOptions['onDownChange'];
  #rng: Rng;
  #stats = createMockStats();
  readonly #authorization = new Set<string>();
  readonly #slots: SlotQueue;
  readonly #prefixCache = new PrefixCache();
  readonly #storedResponses = new Map<string, number>();
  #sequence = 0;

  constructor(options: EndpointEngineOptions) {
    this.id = options.profile.id;
    this.#initial = options.profile;
    this.#source = options.profile;
    this.#profile = resolveProfile(options.profile);
    this.#seed = options.seed ?? 1;
    this.#timeScale = options.timeScale ?? 1;
    this.#clock = options.clock ?? realClock;
    this.#onDownChange = options.onDownChange;
    this.#rng = this.#createRng();
    this.#slots = new SlotQueue(this.#profile.maxConcurrency);
  }

  /** The profile in force, defaults applied. */
  get profile(): ResolvedProfile {
    return this.#profile;
  }

  /** A snapshot of the counters. */
  stats(): MockStats {
    return snapshotStats(this.#stats);
  }

  /**
   * Changes the profile for the very next request. `reset: true` first restores the initial
   * profile, zeroes the stats, clears the prefix cache and restarts the PRNG from its seed.
   * @throws {TopologyError} for a bad patch.
   */
  async control(patch: ProfilePatch): Promise<void> {
    const valid = parseProfilePatch(patch);
    const wasDown = this.#profile.down;
    if (valid.reset) {
      this.#source = this.#initial;
      this.#stats = createMockStats();
      this.#authorization.clear();
      this.#prefixCache.clear();
      this.#storedResponses.clear();
      this.#rng = this.#createRng();
      this.#sequence = 0;
    }
    this.#source = mergeProfile(this.#source, valid);
    this.#profile = resolveProfile(this.#source);
    this.#slots.setLimit(this.#profile.maxConcurrency);
    if (this.#profile.down !== wasDown) await this.#onDownChange?.(this.#profile.down);
  }

  /** Answers one request. Resolves when the answer is finished, cut, or the client went away. */
  async handle(req: EngineRequest, sink: ResponseSink): Promise<void> {
    const q = req.path.indexOf('?');
    const path = q >= 0 ? req.path.slice(0, q) : req.path;
    const route = path.startsWith('/v1/') ? path.slice(3) : path;
    const authorization = header(req, 'authorization');
    if (authorization !== undefined && route !== '/__control' && route !== '/__stats') {
      this.#recordAuthorization(authorization);
    }
    if (req.method === 'POST' && route === '/chat/completions') {
      return this.#complete(req, sink, route, CHAT);
    }
    if (req.method === 'POST' && route === '/responses') {
      return this.#complete(req, sink, route, RESPONSES);
    }
    if (req.method === 'GET' && (route === '/models' || route === '/health')) {
      this.#stats.probes++;
      await this.#sleep(this.#profile.rttMs * this.#timeScale, req.signal);
      if (req.signal.aborted) return;
      if (route === '/health') return sendJson(sink, 200, { ok: true, id: this.id });
      if (!this.#authorized(authorization)) return sendError(sink, invalidApiKey());
      return sendJson(sink, 200, {
        object: 'list',
        data: [{ id: this.#profile.model, object: 'model', created: 0, owned_by: 'tiered-mock' }],
      });
    }
    if (req.method === 'GET' && route === '/__stats') return sendJson(sink, 200, this.stats());
    if (req.method === 'POST' && route === '/__control') return this.#controlRequest(req, sink);
    return sendError(sink, notFound(req.method, path));
  }

  async #controlRequest(req: EngineRequest, sink: ResponseSink): Promise<void> {
    try {
      await this.control(JSON.parse(req.body || '{}') as ProfilePatch);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const param = error instanceof TopologyError ? error.key : null;
      return sendError(sink, invalidRequest(message, param));
    }
    sendJson(sink, 200, { ok: true, id: this.id, profile: this.#profile });
  }

  // Chat completions and responses alike: one latency model, one fault draw, one set of counters.
  async #complete<R extends ChatRequest>(
    req: EngineRequest,
    sink: ResponseSink,
    route: string,
    api: MockApi<R>,
  ): Promise<void> {
    const stats = this.#stats;
    const profile = this.#profile;
    stats.received++;
    const path = `/v1${route}`;
    stats.byRoute[path] = (stats.byRoute[path] ?? 0) + 1;
    const requestId = header(req, 'x-request-id') ?? header(req, 'x-tiered-request-id');
    if (requestId !== undefined) {
      stats.byRequestId[requestId] = (stats.byRequestId[requestId] ?? 0) + 1;
    }
    this.#recordTraceHeaders(req, requestId);
    // Draw in arrival order, before any await: the same seed and the same order of arrivals give
    // the same faults and jitter, however the timing of earlier requests turned out.
    const rng = mulberry32(Math.floor(this.#rng() * 4294967296));
    const fault = drawFault(rng, profile.faults);
    const sequence = ++this.#sequence;

    await this.#sleep(profile.rttMs * this.#timeScale, req.signal);
    if (req.signal.aborted) return this.#aborted();
    if (!this.#authorized(header(req, 'authorization'))) return this.#fail(sink, invalidApiKey());
    let request = api.parse(req.body);
    if (isChatRequestProblem(request)) {
      return this.#fail(sink, invalidRequest(request.message, request.param));
    }
    const previous = (request as Partial<ResponsesRequest>).previousResponseId;
    if (previous !== undefined) {
      const priorTokens = this.#storedResponses.get(previous);
      if (priorTokens === undefined) return this.#fail(sink, previousResponseNotFound(previous));
      request = { ...request, promptTokens: request.promptTokens + priorTokens };
    }
    const requested = request.maxTokens ?? 0;
    if (request.promptTokens + requested > profile.contextWindow) {
      return this.#fail(sink, api.tooLong(profile.contextWindow, request.promptTokens, requested));
    }
    if (fault !== undefined) stats.faults[fault] = (stats.faults[fault] ?? 0) + 1;
    if (fault === 'rateLimit') {
      // Retry-After is a delay like any other: scaled by timeScale, so a compressed replay keeps
      // its proportions.
      return this.#fail(
        sink,
        rateLimited(profile.model, profile.faults.retryAfterS * this.#timeScale),
      );
    }
    if (fault === 'error') return this.#fail(sink, serverError(profile.faults.errorStatus));
    if (fault === 'hang') {
      // Accepted, never answered; holds no slot (a stuck proxy, not a stuck GPU).
      await new Promise<void>((resolve) => {
        if (req.signal.aborted) resolve();
        else req.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return this.#aborted();
    }

    if (!this.#slots.tryAcquire()) {
      stats.queued++;
      stats.maxQueued = Math.max(stats.maxQueued, stats.queued);
      const granted = await this.#slots.acquire(req.signal);
      stats.queued--;
      if (!granted) return this.#aborted();
    }
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      await this.#generate(req, sink, request, api.renderer, fault, rng, sequence);
    } finally {
      stats.inFlight--;
      this.#slots.release();
    }
  }

  async #generate<R extends ChatRequest>(
    req: EngineRequest,
    sink: ResponseSink,
    request: R,
    renderer: AnswerRenderer<R>,
    fault: FaultKind | undefined,
    rng: Rng,
    sequence: number,
  ): Promise<void> {
    const profile = this.#profile;
    const stats = this.#stats;
    const now = this.#clock.now();
    let cached = 0;
    if (profile.prefixCache.enabled) {
      cached = this.#prefixCache.lookup(request.prefixHashes, request.prefixTokens, now);
      this.#prefixCache.remember(
        request.prefixHashes,
        now,
        profile.prefixCache.ttlMs * this.#timeScale,
      );
    }
    // The answer is a function of seed + request (like the text), so a retried request gets the
    // same tool calls; its own PRNG leaves the text's and the arrival-order draws unchanged.
    const planned =
      request.tools.length === 0
        ? []
        : planToolCalls(request, {
            toolCallRate: profile.toolCallRate,
            random: mulberry32(hashString('tool-calls', (request.contentSeed ^ this.#seed) >>> 0)),
          });
    const toolCalls: MockToolCall[] = planned.map((call, i) => ({
      name: call.name,
      callId: `call_${this.id}_${sequence}_${i}`,
      arguments: call.arguments,
      // About a token (4 characters) per piece, as OpenAI streams arguments.
      argumentPieces: fragments(call.arguments, 4),
    }));
    const room = profile.contextWindow - request.promptTokens;
    const limit = Math.min(request.maxTokens ?? Number.POSITIVE_INFINITY, room);
    const lead = toolCalls.length > 0 ? [] : leadWords(request.toolResults, this.id);
    // The mention of tool results is never cut short by the natural length, only by max_tokens.
    const natural = Math.max(profile.outputTokens, lead.length);
    // A tool call is one token for its name, then one per piece of arguments; not cut by max_tokens.
    const outputTokens =
      toolCalls.length > 0
        ? toolCalls.reduce((n, call) => n + 1 + call.argumentPieces.length, 0)
        : Math.max(1, Math.min(natural, limit));
    const timeline = planTimeline(
      { promptTokens: request.promptTokens, cachedPromptTokens: cached, outputTokens },
      profile,
      rng,
      this.#timeScale,
    );
    stats.tokensIn += request.promptTokens;
    stats.cachedTokensIn += Math.min(cached, request.promptTokens);
    const stallMs = fault === 'stall' ? profile.faults.stallMs * this.#timeScale : 0;
    const answer: MockAnswer = {
      endpointId: this.id,
      id: `${this.id}-${sequence}`,
      created: Math.floor(Date.now() / 1000),
      model: profile.model,
      pieces: toolCalls.length > 0 ? [] : completionPieces(request, outputTokens, lead, this.#seed),
      toolCalls,
      finishReason: toolCalls.length > 0 ? 'tool_calls' : natural > limit ? 'length' : 'stop',
      promptTokens: request.promptTokens,
      cachedTokens: cached,
      outputTokens,
    };

    if (!request.stream) {
      await this.#sleep(timeline.generationMs + stallMs, req.signal);
      if (req.signal.aborted) return this.#aborted();
      const body = renderer.json(answer, request);
      stats.byStatus['200'] = (stats.byStatus['200'] ?? 0) + 1;
      if (fault === 'disconnect') {
        sink.head(200, jsonHeaders(body));
        sink.write(body.slice(0, Math.floor(body.length / 2)));
        sink.destroy();
        stats.failed++;
        return;
      }
      if (fault === 'malformed') {
        sink.head(200, jsonHeaders(body));
        // Same length, broken JSON: a proxy that mangled the body.
        sink.end(`{"garbled${body.slice(9)}`);
        stats.failed++;
        return;
      }
      sink.head(200, jsonHeaders(body));
      sink.end(body);
      stats.tokensOut += outputTokens;
      stats.completed++;
      this.#remember(request, answer);
      return;
    }

    // Headers go out as soon as the request has a slot, as vLLM's streaming responses do; the
    // first token follows after ttft, so clients see time-to-first-token apart from time-to-headers.
    stats.byStatus['200'] = (stats.byStatus['200'] ?? 0) + 1;
    sink.head(200, SSE_HEADERS);
    const { head, frames, tail } = renderer.stream(answer, request);
    if (head) sink.write(head);
    const cutAfter = Math.max(1, Math.ceil(frames.length / 2));
    const garbleAt = Math.floor(frames.length / 2);
    const start = this.#clock.now();
    for (let i = 0; i < frames.length; i++) {
      // Absolute schedule: timer lateness does not add up over a long stream.
      const due = start + timeline.ttftMs + i * timeline.decodeMsPerToken + (i > 0 ? stallMs : 0);
      await this.#sleep(due - this.#clock.now(), req.signal);
      if (req.signal.aborted) return this.#aborted();
      if (fault === 'malformed' && i === garbleAt) sink.write('data: {"garbled": tru\n\n');
      sink.write(frames[i] as string);
      stats.tokensOut++;
      if (fault === 'disconnect' && i + 1 === cutAfter) {
        sink.destroy();
        stats.failed++;
        return;
      }
    }
    sink.end(tail);
    stats.completed++;
    this.#remember(request, answer);
  }

  // A stored response can be continued with `previous_response_id`: its whole context counts then.
  #remember(request: ChatRequest, answer: MockAnswer): void {
    if ((request as Partial<ResponsesRequest>).store !== true) return;
    const stored = this.#storedResponses;
    if (stored.size >= MAX_STORED_RESPONSES) {
      const oldest = stored.keys().next().value;
      if (oldest !== undefined) stored.delete(oldest);
    }
    stored.set(`resp_${answer.id}`, answer.promptTokens + answer.outputTokens);
  }

  #fail(sink: ResponseSink, reply: OpenAIErrorReply): void {
    const key = String(reply.status);
    this.#stats.byStatus[key] = (this.#stats.byStatus[key] ?? 0) + 1;
    this.#stats.failed++;
    sendError(sink, reply);
  }

  #aborted(): void {
    this.#stats.aborted++;
  }

  #authorized(authorization: string | undefined): boolean {
    const key = this.#profile.apiKey;
    return key === undefined || authorization === `Bearer ${key}`;
  }

  #recordAuthorization(value: string): void {
    if (this.#authorization.has(value) || this.#authorization.size >= MAX_AUTHORIZATION_VALUES) {
      return;
    }
    this.#authorization.add(value);
    this.#stats.authorization.push(value);
  }

  #recordTraceHeaders(req: EngineRequest, requestId: string | undefined): void {
    const traceparent = header(req, 'traceparent');
    const tracestate = header(req, 'tracestate');
    const baggage = header(req, 'baggage');
    if (traceparent === undefined && tracestate === undefined && baggage === undefined) return;
    if (this.#stats.traceHeaders.length >= MAX_TRACE_HEADERS) return;
    const seen: TraceHeaders = {};
    if (requestId !== undefined) seen.requestId = requestId;
    if (traceparent !== undefined) seen.traceparent = traceparent;
    if (tracestate !== undefined) seen.tracestate = tracestate;
    if (baggage !== undefined) seen.baggage = baggage;
    this.#stats.traceHeaders.push(seen);
  }

  #sleep(ms: number, signal: AbortSignal): Promise<void> | undefined {
    // Zero-latency profiles skip the timer entirely: the mock must serve thousands of calls/s.
    return ms > 0 ? this.#clock.sleep(ms, signal) : undefined;
  }

  #createRng(): Rng {
    return mulberry32((this.#seed ^ hashString(this.id)) >>> 0);
  }
}

/** `text` in pieces of `size` characters (one piece for an empty text). */
function fragments(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [text];
}

function jsonHeaders(body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  };
}

function sendJson(sink: ResponseSink, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  sink.head(status, jsonHeaders(body));
  sink.end(body);
}

function sendError(sink: ResponseSink, reply: OpenAIErrorReply): void {
  const body = JSON.stringify(reply.body);
  sink.head(reply.status, { ...jsonHeaders(body), ...reply.headers });
  sink.end(body);
}
