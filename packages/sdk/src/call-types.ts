import type {
  ChatCompletion,
  ChatCompletionCreateParams,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import type { EscalateOptions, HedgeOptions, ResolvedConfig } from './config.js';
import type { CallBudget, CallResult } from './dispatch/engine.js';
import type { RouterStream } from './dispatch/router-stream.js';
import type { RouterEventName, RouterEvents } from './events.js';
import type { EndpointSignals } from './signals/endpoint-signals.js';
import type { Fleet } from './store/fleet.js';

/** Routing hints for one call. */
export interface RouteHints {
  /** Pin to a tier. */
  readonly tier?: string | undefined;
  /** Pin to an endpoint id. */
  readonly endpoint?: string | undefined;
  /**
   * Run the call in the session with this id: `router.session({ id })`'s, or one the router keeps
   * for the id (affinity only). How `router.fetch` callers join a session (`x-tiered-session`).
   */
  readonly session?: string | undefined;
  /**
   * Slot priority under contention: `'interactive'` (10) goes before `'background'` (-10); a number
   * is taken as is, higher first. @default 0
   */
  readonly priority?: 'interactive' | 'background' | number | undefined;
  /** Time budget for this call in ms: tiers predicted slower are skipped; past it, `DeadlineExceededError`. */
  readonly deadlineMs?: number | undefined;
  /**
   * Latency against cost for this call (overrides the router's `slack`), a number ≥ 1: a cheaper
   * tier serves it when its predicted time is at most `slack` × the fastest fitting tier's.
   */
  readonly slack?: number | undefined;
  /** Hedge this call (overrides the router's `hedge`). */
  readonly hedge?: boolean | HedgeOptions | undefined;
  /**
   * Escalation: return `false` to re-run the call on the next tier (non-streaming calls). The last
   * tier's answer is returned as it is.
   */
  readonly accept?: ((completion: ChatCompletion) => boolean | Promise<boolean>) | undefined;
  /** Automatic escalation triggers (overrides the router's `escalate`). */
  readonly escalate?: EscalateOptions | undefined;
}

/** Per-call options: `openai`'s request options the router honours, plus `route`. */
export interface CallOptions {
  /** Aborts the call at any stage: queued, in an attempt, in a backoff, mid-stream. */
  readonly signal?: AbortSignal | undefined | null;
  /** Total timeout of the call in ms. @default `timeouts.totalMs` */
  readonly timeout?: number | undefined;
  /** Extra headers for the upstream request (never credentials: those are the endpoint's). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly route?: RouteHints | undefined;
}

type OptionalModel<T extends { model: unknown }> = Omit<T, 'model'> & {
  /** `'auto'` or omitted (routed), a tier, an endpoint id, or an endpoint's model name. */
  model?: string | undefined;
};

/** `openai`'s chat completion body, with `model` optional. */
export type RouterChatParams = OptionalModel<ChatCompletionCreateParams>;
/** A plain call's body. */
export type RouterChatParamsNonStreaming = OptionalModel<ChatCompletionCreateParamsNonStreaming>;
/** A streaming call's body (`stream: true`). */
export type RouterChatParamsStreaming = OptionalModel<ChatCompletionCreateParamsStreaming>;

/** The `chat.completions.create` shape shared by the router and sessions. (contract) */
export interface ChatCompletions {
  create(body: RouterChatParamsNonStreaming, options?: CallOptions): Promise<ChatCompletion>;
  create(body: RouterChatParamsStreaming, options?: CallOptions): Promise<RouterStream>;
  create(body: RouterChatParams, options?: CallOptions): Promise<ChatCompletion | RouterStream>;
}

/** What a session adds to a call. */
export interface CallExtras {
  readonly sessionId?: string | undefined;
  readonly affinity?: ReadonlySet<string> | undefined;
  readonly onServed?: ((s: EndpointSignals) => void) | undefined;
  /** Once, when the call is over (a stream: when it settles); `answered` tells how it ended. */
  readonly onFinish?: ((answered: boolean) => void) | undefined;
  readonly budget?: CallBudget | undefined;
  /** Monotonic ms. */
  readonly deadlineAt?: number | undefined;
}

/** What sessions and `router.fetch` use of the router. */
export interface RouterInternals {
  readonly config: ResolvedConfig;
  /** The link to the shared store, when the router has one. */
  readonly fleet: Fleet | undefined;
  /** Routes one call (the engine behind `create`, sessions and `router.fetch`). */
  run(body: RouterChatParams, options?: CallOptions, extras?: CallExtras): Promise<CallResult>;
  /** `chat.completions.create`, with what a session adds. */
  create(
    body: RouterChatParams,
    options?: CallOptions,
    extras?: CallExtras,
  ): Promise<ChatCompletion | RouterStream>;
  emit<K extends RouterEventName>(name: K, make: () => RouterEvents[K][0]): void;
}
