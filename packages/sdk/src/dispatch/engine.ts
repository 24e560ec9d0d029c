import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { ResolvedConfig, ResolvedHedge } from '../config.js';
import type { AttemptRecord, TieredError } from '../errors.js';
import type { RequestFacts } from '../estimate/estimate-request.js';
import type { RouterEventName, RouterEvents } from '../events.js';
import type { Pin } from '../policy/exclusion-reason.js';
import type { EndpointSignals } from '../signals/endpoint-signals.js';
import type { RetryBudget } from '../signals/retry-budget.js';
import type { Fleet } from '../store/fleet.js';
import type { BudgetHold } from '../store/session-ledger.js';
import type { TierBudget } from '../store/tier-budget.js';
import type { TelemetryCall } from '../telemetry.js';
import type { RouterStream } from './router-stream.js';
import type { Slots } from './slots.js';

/** The router state dispatch works with. */
export interface Engine {
  readonly config: ResolvedConfig;
  readonly signals: readonly EndpointSignals[];
  /** One retry budget per tier, by tier index (fleet-wide with a store). */
  readonly budgets: readonly TierBudget[];
  /** Hedges: calls deposit, hedges withdraw; bounds extra load over a sliding window. */
  readonly hedgeBudget: RetryBudget;
  readonly slots: Slots;
  /** The link to the shared store, when the router has one. */
  readonly fleet: Fleet | undefined;
  /** Typical completion tokens of calls without `max_tokens` (learned). */
  typicalOutputTokens: number;
  emit<K extends RouterEventName>(name: K, make: () => RouterEvents[K][0]): void;
  /** Books what an attempt cost (every answer is paid for, a hedge's loser too). */
  recordCost(costUsd: number): void;
  /** Books an answered call, once: per-tier counts and the origin-only counterfactual. */
  recordAnswered(s: EndpointSignals, usage: CompletionUsage | undefined): void;
  /** Books a call that ended with an error after it was answered in part (a broken stream). */
  recordCallFailed(): void;
  /** Books an escalation to the next tier. */
  recordEscalation(): void;
}

/** A session's spending limit, as dispatch sees it. */
export interface CallBudget {
  /** USD left for new calls: the budget less what was spent and what calls in flight reserved. */
  available(): number;
  /**
   * Holds `usd` for a call's worst case; `undefined` when the budget no longer has it (another
   * call, or another process sharing the session, took it since the call was planned). A budget
   * of this process answers at once; a shared one after a round trip to the store.
   */
  reserve(usd: number): BudgetHold | undefined | Promise<BudgetHold | undefined>;
  /** Emits `budget:exceeded` and builds the error. */
  refuse(requestId: string, worstCaseUsd: number): TieredError;
}

/** Escalation (cascade) settings of one call. */
export interface Escalation {
  readonly accept: ((completion: ChatCompletion) => boolean | Promise<boolean>) | undefined;
  /** Re-run on the next tier when the answer was cut at max_tokens. */
  readonly onLength: boolean;
  /** Re-run on the next tier when a JSON answer does not parse. */
  readonly onInvalidJson: boolean;
}

/** One call, as the router hands it to dispatch. */
export interface Call {
  readonly requestId: string;
  readonly facts: RequestFacts;
  readonly pin: Pin | undefined;
  readonly priority: number;
  /** Monotonic ms by which the call must be answered (session or route deadline). */
  readonly deadlineAt: number | undefined;
  /** `route.slack`, else the router's `slack`; undefined: the queue-wait rule. */
  readonly slack: number | undefined;
  /** A session's endpoints, one per tier, to stick to. */
  readonly affinity: ReadonlySet<string> | undefined;
  /** Tells the session which endpoint served, so it sticks to it. */
  readonly onServed: ((s: EndpointSignals) => void) | undefined;
  readonly budget: CallBudget | undefined;
  readonly hedge: ResolvedHedge | false;
  readonly escalation: Escalation | undefined;
  readonly callerHeaders: Readonly<Record<string, string>> | undefined;
  /** Aborts on the caller's signal and on the total timeout. */
  readonly signal: AbortSignal;
  /** The error for an aborted call (AbortError, TimeoutError, …), or undefined. */
  readonly abortError: () => TieredError | undefined;
  readonly startedAt: number;
  /** Attempts started so far (numbers each attempt, hedges included). */
  readonly counts: { attempts: number };
  /** The failed attempts, for errors. */
  readonly attempts: AttemptRecord[];
  /** Called once when the call is over (stream or not): frees the call's timers. */
  readonly finish: (answered: boolean) => void;
  /** This call's telemetry handle; `undefined` when telemetry is off (nothing runs). */
  readonly telemetry: TelemetryCall | undefined;
}

/** How a stream the router handed out ended: answered or not, and what it cost. */
export interface StreamSettlement {
  readonly ok: boolean;
  readonly costUsd: number;
}

/** What one successful attempt produced: a whole completion, or a stream at its first token. */
export type AttemptOutcome =
  | {
      readonly kind: 'completion';
      readonly completion: ChatCompletion;
      readonly served: EndpointSignals;
      readonly costUsd: number;
    }
  | {
      readonly kind: 'stream';
      readonly stream: RouterStream;
      readonly served: EndpointSignals;
      /** Resolves when the stream settles, however it ends. */
      readonly settled: Promise<StreamSettlement>;
    };

export type CallResult =
  | {
      readonly kind: 'completion';
      readonly completion: ChatCompletion;
      readonly served: EndpointSignals;
    }
  | { readonly kind: 'stream'; readonly stream: RouterStream; readonly served: EndpointSignals };
