import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type {
  CallExtras,
  CallOptions,
  ChatCompletions,
  RouteHints,
  RouterChatParams,
  RouterInternals,
} from './call-types.js';
import {
  type FetchLike,
  type ResolvedConfig,
  type ResolvedHedge,
  type RouterOptions,
  resolveConfig,
  resolveEscalate,
  resolveHedge,
} from './config.js';
import { emitEject, emitRequestError, emitRestore } from './dispatch/emit-events.js';
import type { Escalation } from './dispatch/engine.js';
import { type Call, type CallResult, type Engine, execute } from './dispatch/execute.js';
import type { RouterStream } from './dispatch/router-stream.js';
import { Slots } from './dispatch/slots.js';
import {
  AbortError,
  AllAttemptsFailedError,
  type AttemptRecord,
  ConfigError,
  DeadlineExceededError,
  InvalidRequestError,
  RouterClosedError,
  TieredError,
  TimeoutError,
} from './errors.js';
import { estimateRequest } from './estimate/estimate-request.js';
import { requestParams } from './estimate/request-params.js';
import type { RequestParams, RouterEventName, RouterEvents } from './events.js';
import { createFetchAdapter } from './fetch-adapter.js';
import { linkAbort } from './internal/abort.js';
import { checkCallOptions } from './internal/check-call-options.js';
import { priorityValue } from './internal/priority.js';
import { traceHeadersOf } from './internal/trace-headers.js';
import type { Pin } from './policy/exclusion-reason.js';
import { createSession, type Session, type SessionOptions } from './session.js';
import { EndpointSignals } from './signals/endpoint-signals.js';
import { Probes } from './signals/probes.js';
import { RetryBudget } from './signals/retry-budget.js';
import { buildStats, type RouterStats, Totals } from './stats.js';
import { Fleet } from './store/fleet.js';
import { TierBudget } from './store/tier-budget.js';

/** The router. (contract) */
export interface Router {
  /** Drop-in for `openai`'s `client.chat.completions`. */
  readonly chat: { readonly completions: ChatCompletions };
  /** A `fetch` that routes OpenAI-compatible requests; give it to any OpenAI client. */
  readonly fetch: FetchLike;
  /** A session for an agent chain: shared affinity, budget, deadline and concurrency. */
  session(options?: SessionOptions): Session;
  /** Listens to an event (typed payload); a listener that throws never breaks a call. */
  on<K extends RouterEventName>(event: K, listener: (...args: RouterEvents[K]) => void): Router;
  /** Stops listening. */
  off<K extends RouterEventName>(event: K, listener: (...args: RouterEvents[K]) => void): Router;
  /** Listens to the next occurrence only. */
  once<K extends RouterEventName>(event: K, listener: (...args: RouterEvents[K]) => void): Router;
  /** A snapshot of per-endpoint signals and counters and the totals. */
  stats(): RouterStats;
  /**
   * Stops probes and timers, refuses new calls (`RouterClosedError`) and waits for calls in flight
   * to finish; if `signal` aborts first, aborts them. Afterwards the process can exit by itself.
   */
  close(options?: { signal?: AbortSignal }): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: listeners of every event share one guard map
type Listener = (...args: any[]) => void;

const MAX_SESSIONS = 10_000;
const TOTAL_TIMEOUT = Symbol('total timeout');
const DEADLINE = Symbol('deadline');
const CLOSING = Symbol('router closing');

class TieredRouter implements Router, Engine, RouterInternals {
  readonly config: ResolvedConfig;
  readonly signals: readonly EndpointSignals[];
  readonly budgets: readonly TierBudget[];
  readonly hedgeBudget: RetryBudget;
  readonly slots: Slots;
  readonly fleet: Fleet | undefined;
  typicalOutputTokens: number;

  readonly chat: { readonly completions: ChatCompletions };
  readonly fetch: FetchLike;

  readonly #events = new EventEmitter<RouterEvents>();
  readonly #guards = new WeakMap<Listener, Listener>();
  readonly #totals: Totals;
  readonly #probes: Probes;
  readonly #pins = new Map<string, Pin | undefined>();
  readonly #sessions = new Map<string, Session>();
  readonly #inFlight = new Set<AbortController>();
  readonly #idPrefix = randomUUID().slice(0, 8);
  readonly #originPrice;
  #nextId = 0;
  #closed = false;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: RouterOptions) {
    const config = resolveConfig(options);
    this.config = config;
    this.signals = config.endpoints.map((e) => new EndpointSignals(e, config));
    const fleet = config.store
      ? new Fleet(config.store, config, this.signals, {
          onRemoteHealth: (s, transition, reason) => {
            if (transition === 'restore') emitRestore(this, s, undefined, 'fleet');
            else if (transition === 'eject') emitEject(this, s, undefined, reason);
          },
          onDegraded: (reason) =>
            this.emit('store:degraded', () => ({
              requestId: undefined,
              timestamp: Date.now(),
              kind: fleet?.store.kind ?? '',
              reason,
            })),
          onRestored: (downMs) =>
            this.emit('store:restored', () => ({
              requestId: undefined,
              timestamp: Date.now(),
              kind: fleet?.store.kind ?? '',
              downMs,
            })),
        })
      : undefined;
    this.fleet = fleet;
    const r = config.retry;
    this.budgets = config.tiers.map(
      (tier) =>
        new TierBudget(
          new RetryBudget(r.budgetRatio, r.budgetMinPerSec, r.budgetWindowMs),
          fleet,
          fleet ? fleet.key('retry', tier) : '',
          {
            ratio: r.budgetRatio,
            floor: (r.budgetMinPerSec * r.budgetWindowMs) / 1000,
            windowMs: r.budgetWindowMs,
          },
        ),
    );
    // Hedges are pure extra load: a share of recent calls, plus one per window so a quiet client
    // can still hedge now and then.
    this.hedgeBudget = new RetryBudget(
      config.hedge ? config.hedge.maxExtraLoad : 0.05,
      1000 / r.budgetWindowMs,
      r.budgetWindowMs,
    );
    this.slots = new Slots(config.maxConcurrency, fleet);
    this.typicalOutputTokens = config.estimate.defaultOutputTokens;
    this.#totals = new Totals(config);
    const originTier = config.tiers[config.tiers.length - 1];
    this.#originPrice = (config.endpoints.find((e) => e.tier === originTier) ?? config.endpoints[0])
      ?.price ?? { inputPerMTok: 0, outputPerMTok: 0 };

    // body.model: 'auto', a tier, an endpoint id, or a model name some endpoints declare.
    this.#pins.set('auto', undefined);
    for (const e of config.endpoints) this.#pins.set(e.model, { kind: 'model', model: e.model });
    for (const e of config.endpoints) this.#pins.set(e.id, { kind: 'endpoint', id: e.id });
    for (const t of config.tiers) this.#pins.set(t, { kind: 'tier', tier: t });

    const create = (body: RouterChatParams, options?: CallOptions) => this.create(body, options);
    this.chat = { completions: { create } as ChatCompletions };
    this.fetch = createFetchAdapter(this);

    this.#probes = new Probes(this.signals, config, {
      onProbe: (event) => this.emit('probe:end', () => event),
      onTransition: (s, transition, reason) => {
        if (transition === 'restore') emitRestore(this, s, undefined, 'probe');
        else if (transition === 'eject') emitEject(this, s, undefined, reason);
        fleet?.shareHealth(s);
      },
      // With a store, one router probes each endpoint for the fleet (a lease it renews); the
      // others take its RTT from the synced signals and its verdicts from shared ejections.
      mayProbe: fleet ? (s, intervalMs) => fleet.claimProber(s, 2.5 * intervalMs) : undefined,
    });
    fleet?.start();
    this.#probes.start();
  }

  session(options?: SessionOptions): Session {
    if (this.#closed) throw new RouterClosedError();
    return this.#remember(createSession(this, options));
  }

  // Sessions by id, for `route.session`: the most recently used 10,000, so a long-lived router
  // serving many short agent chains does not grow without bound.
  #remember(session: Session): Session {
    this.#sessions.delete(session.id);
    this.#sessions.set(session.id, session);
    if (this.#sessions.size > MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
    return session;
  }

  #sessionFor(id: unknown): Session {
    if (typeof id !== 'string' || id.length === 0) {
      throw new InvalidRequestError(
        `Failed to route the call: \`route.session\` must be a non-empty string, got ${JSON.stringify(id)}`,
        'route.session',
      );
    }
    return this.#remember(this.#sessions.get(id) ?? createSession(this, { id }));
  }

  on<K extends RouterEventName>(event: K, listener: (...args: RouterEvents[K]) => void): this {
    this.#events.on(event, this.#guarded(listener) as never);
    return this;
  }

  off<K extends RouterEventName>(event: K, listener: (...args: RouterEvents[K]) => void): this {
    this.#events.off(event, this.#guarded(listener) as never);
    return this;
  }

  once<K extends RouterEventName>(event: K, listener: (...args: RouterEvents[K]) => void): this {
    this.#events.once(event, this.#guarded(listener) as never);
    return this;
  }

  /** Builds the payload only when someone listens. */
  emit<K extends RouterEventName>(name: K, make: () => RouterEvents[K][0]): void {
    if (this.#events.listenerCount(name) === 0) return;
    const payload = make();
    Object.freeze(payload);
    (this.#events.emit as (n: K, p: RouterEvents[K][0]) => boolean)(name, payload);
  }

  // Each listener runs guarded: one that throws never breaks a call, nor keeps the next listener
  // from running, nor crashes the process; its error surfaces as a process warning.
  #guarded(listener: Listener): Listener {
    let guarded = this.#guards.get(listener);
    if (!guarded) {
      guarded = (...args: unknown[]) => {
        try {
          listener(...args);
        } catch (error) {
          process.emitWarning(
            `A @tiered/sdk event listener threw: ${(error as Error)?.stack ?? String(error)}`,
            'TieredListenerError',
          );
        }
      };
      this.#guards.set(listener, guarded);
    }
    return guarded as Listener;
  }

  recordCost(costUsd: number): void {
    this.#totals.costUsd += costUsd;
  }

  recordAnswered(s: EndpointSignals, usage: CompletionUsage | undefined): void {
    const t = this.#totals;
    t.calls++;
    t.byTier[s.endpoint.tier] = (t.byTier[s.endpoint.tier] ?? 0) + 1;
    if (usage) {
      const p = this.#originPrice;
      t.originOnlyCostUsd +=
        (usage.prompt_tokens * p.inputPerMTok + usage.completion_tokens * p.outputPerMTok) / 1e6;
    }
  }

  recordCallFailed(): void {
    this.#totals.failed++;
  }

  recordEscalation(): void {
    this.#totals.escalations++;
  }

  stats(): RouterStats {
    return buildStats(this.signals, this.#totals, this.fleet?.stats());
  }

  async close(options?: { signal?: AbortSignal }): Promise<void> {
    this.#closed = true;
    this.#probes.stop();
    // Every close() waits for the same drain: a second call must not strand the first.
    this.#closing ??=
      this.#inFlight.size === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.#drained = resolve;
          });
    const abortAll = () => {
      for (const c of this.#inFlight) c.abort(CLOSING);
    };
    if (options?.signal?.aborted) abortAll();
    else options?.signal?.addEventListener('abort', abortAll, { once: true });
    await this.#closing;
    options?.signal?.removeEventListener('abort', abortAll);
    // Calls are over: leave the store (flush spending, drop this router's entries).
    this.#leaving ??= this.fleet?.close() ?? Promise.resolve();
    await this.#leaving;
  }

  #leaving: Promise<void> | undefined;

  /** Routes one call. */
  async create(
    body: RouterChatParams,
    options?: CallOptions,
    extras?: CallExtras,
  ): Promise<ChatCompletion | RouterStream> {
    const session = options?.route?.session;
    if (session !== undefined && extras === undefined) {
      if (this.#closed) throw new RouterClosedError();
      return this.#sessionFor(session).chat.completions.create(body, options);
    }
    const result = await this.run(body, options, extras);
    return result.kind === 'completion' ? result.completion : result.stream;
  }

  /** Routes one call; the engine behind `create`, sessions and `router.fetch`. */
  async run(
    body: RouterChatParams,
    options?: CallOptions,
    extras?: CallExtras,
  ): Promise<CallResult> {
    if (this.#closed) throw new RouterClosedError();
    const config = this.config;
    const checked = checkCallOptions(options);
    const facts = estimateRequest(body);
    const route = checked.route;
    const pin = this.#resolvePin(facts.model, route);
    const priority = priorityValue(route?.priority);
    const hedge = perCall(() => resolveCallHedge(route?.hedge, config.hedge));
    const escalation = perCall(() => resolveEscalation(route, config, facts.stream));
    const startedAt = config.now();

    let deadlineAt = extras?.deadlineAt;
    if (route?.deadlineMs !== undefined) {
      const at = startedAt + route.deadlineMs;
      deadlineAt = deadlineAt === undefined ? at : Math.min(deadlineAt, at);
    }
    if (deadlineAt !== undefined && deadlineAt <= startedAt) {
      throw new DeadlineExceededError(
        `Failed to start the call: its deadline passed ${Math.round(startedAt - deadlineAt)}ms ago`,
        0,
      );
    }
    const totalMs = checked.timeoutMs ?? config.timeouts.totalMs;
    // One timer bounds the call: the total timeout, or the deadline when that comes first.
    const deadlineLeft =
      deadlineAt === undefined ? Number.POSITIVE_INFINITY : deadlineAt - startedAt;
    const limitMs = Math.min(totalMs, deadlineLeft);
    const limitReason = deadlineLeft < totalMs ? DEADLINE : TOTAL_TIMEOUT;

    const requestId = `${this.#idPrefix}-${(this.#nextId++).toString(36)}`;
    const controller = new AbortController();
    const unlinkCaller = linkAbort(checked.signal, controller);
    const timer = setTimeout(() => controller.abort(limitReason), limitMs);
    timer.unref?.();
    this.#inFlight.add(controller);
    this.#totals.inFlight++;
    let finished = false;
    const attempts: AttemptRecord[] = [];
    const abortError = (): TieredError | undefined => {
      const signal = controller.signal;
      if (!signal.aborted) return undefined;
      if (signal.reason === TOTAL_TIMEOUT) {
        return new TimeoutError(
          `Failed to complete the call within its total timeout of ${totalMs}ms`,
          totalMs,
          attempts,
        );
      }
      if (signal.reason === DEADLINE) {
        return new DeadlineExceededError(
          `Failed to complete the call before its deadline (${Math.round(limitMs)}ms after it started)`,
          limitMs,
        );
      }
      if (signal.reason === CLOSING) return new AbortError('Call aborted: the router is closing');
      return new AbortError('Call aborted by the caller', signal.reason);
    };
    // Read once, and only if telemetry or a `request:start` listener wants them.
    let params: RequestParams | undefined;
    const paramsOf = () => {
      params ??= requestParams(body);
      return params;
    };
    const call: Call = {
      requestId,
      facts,
      pin,
      priority,
      deadlineAt,
      slack: route?.slack ?? config.slack,
      affinity: extras?.affinity,
      onServed: extras?.onServed,
      budget: extras?.budget,
      hedge,
      escalation,
      callerHeaders: checked.headers,
      telemetry: config.telemetry?.startCall({
        requestId,
        model: facts.model,
        stream: facts.stream,
        sessionId: extras?.sessionId,
        params: paramsOf(),
        traceHeaders: traceHeadersOf(checked.headers),
      }),
      signal: controller.signal,
      abortError,
      startedAt,
      counts: { attempts: 0 },
      attempts,
      finish: (answered) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        unlinkCaller();
        this.#inFlight.delete(controller);
        this.#totals.inFlight--;
        extras?.onFinish?.(answered);
        if (this.#inFlight.size === 0) this.#drained?.();
      },
    };
    this.emit('request:start', () => ({
      requestId,
      timestamp: Date.now(),
      model: facts.model,
      stream: facts.stream,
      sessionId: extras?.sessionId,
      params: paramsOf(),
    }));
    try {
      return await execute(this, call);
    } catch (error) {
      call.finish(false);
      this.#totals.failed++;
      const typed = TieredError.isInstance(error)
        ? error
        : new AllAttemptsFailedError(
            `Failed to complete the call: ${String(error)}`,
            attempts,
            error,
          );
      emitRequestError(this, call, typed.code, typed.message);
      throw typed;
    }
  }

  #resolvePin(model: string | undefined, route: RouteHints | undefined): Pin | undefined {
    const { endpoints, tiers } = this.config;
    if (route?.endpoint !== undefined) {
      if (!endpoints.some((e) => e.id === route.endpoint)) {
        throw new InvalidRequestError(
          `Failed to route the call: unknown endpoint "${route.endpoint}" in \`route.endpoint\`; endpoints are ${endpoints.map((e) => `"${e.id}"`).join(', ')}`,
          'route.endpoint',
        );
      }
      return { kind: 'endpoint', id: route.endpoint };
    }
    if (route?.tier !== undefined) {
      if (!tiers.includes(route.tier)) {
        throw new InvalidRequestError(
          `Failed to route the call: unknown tier "${route.tier}" in \`route.tier\`; tiers are ${tiers.map((t) => `"${t}"`).join(', ')}`,
          'route.tier',
        );
      }
      return { kind: 'tier', tier: route.tier };
    }
    if (model === undefined) return undefined;
    if (this.#pins.has(model)) return this.#pins.get(model);
    throw new InvalidRequestError(
      `Failed to route the call: unknown model "${model}". Use "auto", a tier (${tiers.join(', ')}), an endpoint id (${endpoints.map((e) => e.id).join(', ')}) or an endpoint model (${[...new Set(endpoints.map((e) => e.model))].join(', ')})`,
      'model',
    );
  }
}

function resolveCallHedge(
  value: RouteHints['hedge'],
  routerHedge: ResolvedHedge | false,
): ResolvedHedge | false {
  if (value === undefined) return routerHedge;
  if (value === false) return false;
  return resolveHedge('route.hedge', value);
}

function resolveEscalation(
  route: RouteHints | undefined,
  config: ResolvedConfig,
  stream: boolean,
): Escalation | undefined {
  const accept = route?.accept;
  if (accept !== undefined && typeof accept !== 'function') {
    throw new ConfigError(
      'route.accept',
      `Expected \`route.accept\` to be a function, got ${typeof accept}`,
    );
  }
  const triggers = resolveEscalate('route.escalate', route?.escalate, config.escalate);
  if (!accept && !triggers.onLength && !triggers.onInvalidJson) return undefined;
  if (stream) {
    if (!accept && route?.escalate === undefined) return undefined; // router-wide triggers skip streams
    throw new InvalidRequestError(
      'Failed to route the call: escalation (`route.accept` / `route.escalate`) needs a whole completion; it cannot re-run a stream the caller is already reading',
      'route.accept',
    );
  }
  return { accept, onLength: triggers.onLength, onInvalidJson: triggers.onInvalidJson };
}

// Per-call options are the caller's input: their ConfigError becomes an InvalidRequestError.
function perCall<T>(resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof ConfigError)
      throw new InvalidRequestError(`Failed to route the call: ${error.message}`, error.field);
    throw error;
  }
}

/**
 * Creates a router over edge and origin endpoints. Validates every option up front and throws a
 * `ConfigError` naming the field.
 *
 * @example
 * const router = createRouter({
 *   endpoints: [
 *     { id: 'edge-1', tier: 'edge', baseURL: 'http://10.0.0.5:8000/v1', model: 'qwen2.5-7b', contextWindow: 8192, maxConcurrency: 8 },
 *     { id: 'origin', tier: 'origin', baseURL: 'https://api.openai.com/v1', apiKey: process.env.OPENAI_API_KEY, model: 'gpt-4.1', contextWindow: 1_000_000 },
 *   ],
 * });
 * const completion = await router.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }] });
 */
export function createRouter(options: RouterOptions): Router {
  return new TieredRouter(options);
}
