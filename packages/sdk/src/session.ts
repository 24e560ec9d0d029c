import { setMaxListeners } from 'node:events';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import PQueue from 'p-queue';
import type {
  CallOptions,
  ChatCompletions,
  RouteHints,
  RouterChatParams,
  RouterChatParamsNonStreaming,
  RouterInternals,
} from './call-types.js';
import type { CallBudget } from './dispatch/engine.js';
import type { RouterStream } from './dispatch/router-stream.js';
import { holdSlot } from './dispatch/slots.js';
import { AbortError, BudgetExceededError, ConfigError, InvalidRequestError } from './errors.js';
import { linkAbort } from './internal/abort.js';
import { priorityValue } from './internal/priority.js';
import {
  fail,
  isObject,
  msIn,
  noUnknownKeys,
  numberIn,
  optionalString,
  positiveInteger,
} from './internal/validate.js';
import type { EndpointSignals } from './signals/endpoint-signals.js';
import { type BudgetHold, SESSION_TTL_MS, SessionLedger } from './store/session-ledger.js';

/** Options of `router.session()`. (contract) */
export interface SessionOptions {
  /** Shown in events and stats. @default a random id */
  readonly id?: string | undefined;
  /** USD the session may spend; a call whose worst case would exceed what is left goes to a cheaper tier, or is refused. @default unlimited */
  readonly budgetUsd?: number | undefined;
  /** One deadline for every call of the session, in ms from now. @default none */
  readonly deadlineMs?: number | undefined;
  /** Calls of the session in flight at once. @default unlimited */
  readonly maxConcurrency?: number | undefined;
  /** Keep calls on the endpoint that served the session in each tier (its prefix cache). @default true */
  readonly affinity?: boolean | undefined;
}

/** Options of `session.batch()`. */
export interface BatchOptions {
  /** Calls of the batch in flight at once. @default the session's maxConcurrency, else 8 */
  readonly concurrency?: number | undefined;
  readonly priority?: RouteHints['priority'];
  /** Aborts every call of the batch not yet settled. */
  readonly signal?: AbortSignal | undefined;
}

/** `session.stats()`: the session's calls, spending and stickiness. */
export interface SessionStats {
  readonly id: string;
  /** Calls answered. */
  readonly calls: number;
  readonly failed: number;
  readonly inFlight: number;
  /** What this router's calls of the session cost. */
  readonly costUsd: number;
  readonly budgetUsd: number | undefined;
  /**
   * Budget left, less what calls in flight hold for their worst case — fleet-wide when the router
   * shares a store (as last seen).
   */
  readonly remainingUsd: number | undefined;
  /** With a shared store and a budget: what the session spent across every router (as last seen). */
  readonly fleetCostUsd: number | undefined;
  /** Calls answered per endpoint. */
  readonly byEndpoint: Readonly<Record<string, number>>;
  /** The endpoint the session sticks to, per tier. */
  readonly affinity: Readonly<Record<string, string>>;
}

/** A session: the calls of one agent chain. (contract) */
export interface Session {
  readonly id: string;
  readonly chat: { readonly completions: ChatCompletions };
  /**
   * Runs many calls with bounded concurrency; results settled and in input order. Streaming
   * bodies are refused (nothing is sent).
   */
  batch(
    bodies: readonly RouterChatParamsNonStreaming[],
    options?: BatchOptions,
  ): Promise<PromiseSettledResult<ChatCompletion>[]>;
  stats(): SessionStats;
}

let batches = 0;

/** Builds a session over the router (validated options; `ConfigError` names the field). */
export function createSession(router: RouterInternals, options: SessionOptions = {}): Session {
  if (!isObject(options)) fail('session', 'an object', options);
  noUnknownKeys('session', options as Record<string, unknown>, [
    'id',
    'budgetUsd',
    'deadlineMs',
    'maxConcurrency',
    'affinity',
  ]);
  if (options.affinity !== undefined && typeof options.affinity !== 'boolean') {
    fail('session.affinity', 'a boolean', options.affinity);
  }
  return new RouterSession(router, {
    id:
      optionalString('session.id', options.id) ??
      `session-${Math.floor(router.config.random() * 2 ** 40).toString(36)}`,
    budgetUsd:
      options.budgetUsd === undefined
        ? undefined
        : numberIn('session.budgetUsd', options.budgetUsd, 0, 0),
    deadlineMs:
      options.deadlineMs === undefined
        ? undefined
        : msIn('session.deadlineMs', options.deadlineMs, 0, 1),
    maxConcurrency:
      options.maxConcurrency === undefined
        ? undefined
        : positiveInteger('session.maxConcurrency', options.maxConcurrency),
    affinity: options.affinity ?? true,
  });
}

interface ResolvedSessionOptions {
  readonly id: string;
  readonly budgetUsd: number | undefined;
  readonly deadlineMs: number | undefined;
  readonly maxConcurrency: number | undefined;
  readonly affinity: boolean;
}

class RouterSession implements Session, CallBudget {
  readonly id: string;
  readonly chat: { readonly completions: ChatCompletions };

  readonly #router: RouterInternals;
  readonly #options: ResolvedSessionOptions;
  readonly #deadlineAt: number | undefined;
  readonly #queue: PQueue | undefined;
  // Sticky endpoint per tier; the set is what the policy reads.
  readonly #sticky = new Map<string, string>();
  #affinity: ReadonlySet<string> = new Set();
  readonly #byEndpoint: Record<string, number> = {};
  // With a shared store and a budget, the budget lives there (one per session id, fleet-wide).
  readonly #ledger: SessionLedger | undefined;
  // When each tier's sticky endpoint was chosen (epoch ms): the newest choice wins across a fleet.
  readonly #stickyAt = new Map<string, number>();
  #affinityReadAt = 0;
  #spentUsd = 0;
  #reservedUsd = 0;
  #calls = 0;
  #failed = 0;
  #inFlight = 0;

  constructor(router: RouterInternals, options: ResolvedSessionOptions) {
    this.#router = router;
    this.#options = options;
    this.id = options.id;
    this.#deadlineAt =
      options.deadlineMs === undefined ? undefined : router.config.now() + options.deadlineMs;
    this.#queue = options.maxConcurrency
      ? new PQueue({ concurrency: options.maxConcurrency })
      : undefined;
    this.#ledger =
      router.fleet && options.budgetUsd !== undefined
        ? new SessionLedger(router.fleet, options.id, options.budgetUsd)
        : undefined;
    const create = (body: RouterChatParams, callOptions?: CallOptions) =>
      this.#create(body, callOptions);
    this.chat = { completions: { create } as ChatCompletions };
  }

  async #create(
    body: RouterChatParams,
    options?: CallOptions,
  ): Promise<ChatCompletion | RouterStream> {
    const signal = options?.signal ?? undefined;
    let release: () => void = () => {};
    if (this.#queue) {
      // The session's slot is held until the call is over — for a stream, until it settles.
      try {
        release = await holdSlot(this.#queue, signal, priorityValue(options?.route?.priority));
      } catch (cause) {
        this.#failed++;
        throw new AbortError(`Call aborted while queued in session ${this.id}`, cause);
      }
    }
    if (this.#router.fleet && this.#options.affinity) {
      const read = this.#readAffinity();
      if (read) await read;
    }
    this.#inFlight++;
    let finished = false;
    const finish = (answered: boolean) => {
      if (finished) return;
      finished = true;
      this.#inFlight--;
      if (answered) this.#calls++;
      else this.#failed++;
      release();
    };
    try {
      const result = await this.#router.run(body, options, {
        sessionId: this.id,
        affinity: this.#options.affinity ? this.#affinity : undefined,
        onServed: (s) => this.#served(s),
        onFinish: finish,
        budget: this.#options.budgetUsd === undefined ? undefined : this,
        deadlineAt: this.#deadlineAt,
      });
      return result.kind === 'completion' ? result.completion : result.stream;
    } catch (error) {
      finish(false); // refused before it started: the router never saw it through
      throw error;
    }
  }

  async batch(
    bodies: readonly RouterChatParamsNonStreaming[],
    options: BatchOptions = {},
  ): Promise<PromiseSettledResult<ChatCompletion>[]> {
    if (!Array.isArray(bodies)) {
      throw new InvalidRequestError('Failed to run the batch: `bodies` must be an array', 'bodies');
    }
    for (const [i, body] of bodies.entries()) {
      if ((body as { stream?: unknown })?.stream === true) {
        throw new InvalidRequestError(
          `Failed to run the batch: \`bodies[${i}]\` asks for a stream; a batch settles whole completions (use chat.completions.create for streams)`,
          `bodies[${i}].stream`,
        );
      }
    }
    let concurrency = this.#options.maxConcurrency ?? 8;
    if (options.concurrency !== undefined) {
      try {
        concurrency = positiveInteger('batch.concurrency', options.concurrency);
      } catch (error) {
        if (error instanceof ConfigError) throw new InvalidRequestError(error.message, error.field);
        throw error;
      }
    }
    const batchId = `batch-${++batches}`;
    const total = bodies.length;
    let done = 0;
    let failed = 0;
    const progress = () =>
      this.#router.emit('batch:progress', () => ({
        requestId: undefined,
        timestamp: Date.now(),
        sessionId: this.id,
        batchId,
        done,
        failed,
        total,
      }));
    // One signal for the whole batch: every call listens to it, not to the caller's signal
    // directly (a batch of hundreds would trip Node's listener-leak warning on the caller's).
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    const unlink = linkAbort(options.signal, controller);
    const queue = new PQueue({ concurrency });
    const route = options.priority === undefined ? undefined : { priority: options.priority };
    const one = async (
      body: RouterChatParamsNonStreaming,
    ): Promise<PromiseSettledResult<ChatCompletion>> => {
      let result: PromiseSettledResult<ChatCompletion>;
      try {
        const release = await holdSlot(queue, controller.signal, 0).catch((cause: unknown) => {
          throw new AbortError('Call aborted before the batch started it', cause);
        });
        try {
          const value = await this.#create(body, { signal: controller.signal, route });
          result = { status: 'fulfilled', value: value as ChatCompletion };
        } finally {
          release();
        }
      } catch (reason) {
        result = { status: 'rejected', reason };
        failed++;
      }
      done++;
      progress();
      return result;
    };
    try {
      return await Promise.all(bodies.map(one));
    } finally {
      unlink();
    }
  }

  stats(): SessionStats {
    const budget = this.#options.budgetUsd;
    return {
      id: this.id,
      calls: this.#calls,
      failed: this.#failed,
      inFlight: this.#inFlight,
      costUsd: this.#spentUsd,
      budgetUsd: budget,
      remainingUsd: budget === undefined ? undefined : this.available(),
      fleetCostUsd: this.#ledger?.spentUsd,
      byEndpoint: { ...this.#byEndpoint },
      affinity: Object.fromEntries(this.#sticky),
    };
  }

  // CallBudget: what dispatch reserves and settles for calls of this session.
  available(): number {
    if (this.#ledger) return this.#ledger.available();
    return (
      (this.#options.budgetUsd ?? Number.POSITIVE_INFINITY) - this.#spentUsd - this.#reservedUsd
    );
  }

  reserve(usd: number): BudgetHold | undefined | Promise<BudgetHold | undefined> {
    if (this.#ledger) {
      return this.#ledger.reserve(usd).then(
        (shared): BudgetHold | undefined =>
          shared && {
            usd,
            settle: (spentUsd) => {
              this.#spentUsd += spentUsd;
              shared.settle(spentUsd);
            },
          },
      );
    }
    // Checked again here: another call of the session may have reserved since this one planned.
    if (usd > this.available() * (1 + 1e-9)) return undefined;
    this.#reservedUsd += usd;
    let settled = false;
    return {
      usd,
      settle: (spentUsd) => {
        if (settled) return;
        settled = true;
        this.#reservedUsd = Math.max(0, this.#reservedUsd - usd);
        this.#spentUsd += spentUsd;
      },
    };
  }

  refuse(requestId: string, worstCaseUsd: number) {
    const budgetUsd = this.#options.budgetUsd ?? 0;
    const spentUsd = this.#ledger?.spentUsd ?? this.#spentUsd;
    this.#router.emit('budget:exceeded', () => ({
      requestId,
      timestamp: Date.now(),
      sessionId: this.id,
      budgetUsd,
      spentUsd,
      worstCaseUsd,
    }));
    return new BudgetExceededError(
      `Failed to route the call: its worst-case cost $${worstCaseUsd.toPrecision(3)} on the cheapest fitting tier exceeds what is left of session ${this.id}'s budget ($${Math.max(0, this.available()).toPrecision(3)} of $${budgetUsd}); nothing was sent`,
      { budgetUsd, spentUsd, worstCaseUsd },
    );
  }

  #served(s: EndpointSignals): void {
    const e = s.endpoint;
    this.#byEndpoint[e.id] = (this.#byEndpoint[e.id] ?? 0) + 1;
    if (!this.#options.affinity || this.#sticky.get(e.tier) === e.id) return;
    const at = Date.now();
    this.#stick(e.tier, e.id, at);
    const fleet = this.#router.fleet;
    if (fleet) {
      const key = fleet.key('affinity', this.id);
      fleet.bestEffort(() => fleet.store.put(key, e.tier, `${e.id} ${at}`, SESSION_TTL_MS));
    }
  }

  #stick(tier: string, endpointId: string, at: number): void {
    this.#sticky.set(tier, endpointId);
    this.#stickyAt.set(tier, at);
    this.#affinity = new Set(this.#sticky.values());
  }

  /**
   * Reads the session's affinity from the store: where the fleet's routers last served it. The
   * first call of a session in this process waits for it (one read, bounded by the store's
   * timeout), so it lands where the session's prefix cache is; later calls refresh it in the
   * background once per sync interval.
   */
  #readAffinity(): Promise<void> | undefined {
    const fleet = this.#router.fleet;
    if (!fleet || fleet.degraded) return undefined;
    const now = Date.now();
    const first = this.#affinityReadAt === 0;
    if (!first && now - this.#affinityReadAt < fleet.store.settings.syncIntervalMs) return;
    this.#affinityReadAt = now;
    const read = fleet
      .op(() => fleet.store.getAll(fleet.key('affinity', this.id)))
      .then(
        (record) => {
          for (const [tier, value] of Object.entries(record)) {
            const [endpointId, atText] = value.split(' ');
            const at = Number(atText);
            if (!endpointId || !Number.isFinite(at)) continue;
            if (at > (this.#stickyAt.get(tier) ?? 0)) this.#stick(tier, endpointId, at);
          }
        },
        () => {},
      );
    return first ? read : undefined;
  }
}
