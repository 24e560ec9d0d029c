import type { CompletionUsage } from 'openai/resources/completions';
import type { FailureClass, TieredErrorCode } from './errors.js';

/**
 * Router events. Every payload is a readonly object with `requestId` and `timestamp` (ms since the
 * epoch), emitted after the state it reports has changed. Payloads never carry API keys, headers
 * or prompt text.
 */
export interface EventBase {
  /** The call this event belongs to; `undefined` for endpoint events raised by a probe. */
  readonly requestId: string | undefined;
  readonly timestamp: number;
}

/**
 * A call's generation parameters, as the body set them (a field the body did not set, or set to
 * something of the wrong type, is `undefined`). Never the messages.
 */
export interface RequestParams {
  /** `max_completion_tokens` ?? `max_tokens`. */
  readonly maxTokens: number | undefined;
  readonly temperature: number | undefined;
  readonly topP: number | undefined;
  readonly frequencyPenalty: number | undefined;
  readonly presencePenalty: number | undefined;
  /** `stop`, as a list. */
  readonly stopSequences: readonly string[] | undefined;
  readonly seed: number | undefined;
  /** `n`: choices asked for. */
  readonly choiceCount: number | undefined;
  /** `reasoning_effort`. */
  readonly reasoningEffort: string | undefined;
  /** `response_format.type` (`text`, `json_object`, `json_schema`). */
  readonly responseFormat: string | undefined;
}

/** A call begins: the model it named (as given), whether it streams, and its parameters. */
export interface RequestStartEvent extends EventBase {
  readonly requestId: string;
  readonly model: string | undefined;
  readonly stream: boolean;
  readonly sessionId: string | undefined;
  readonly params: RequestParams;
}

/** What an answer said about itself: its id, the model that wrote it, why each choice stopped. */
export interface ResponseMeta {
  /** The completion's `id` (e.g. `chatcmpl-…`). */
  readonly id: string | undefined;
  /** The completion's `model`: what the endpoint says served it. */
  readonly model: string | undefined;
  /** `finish_reason` of each choice, by index. */
  readonly finishReasons: readonly string[];
}

/** One endpoint as the policy scored it for a call. */
export interface CandidateScore {
  readonly endpointId: string;
  readonly tier: string;
  /** The endpoint's mean estimate of the prompt's tokens (its learned fit; images included). */
  readonly promptTokens: number;
  readonly predictedMs: number;
  readonly queueWaitMs: number;
  readonly cost: number;
  readonly available: boolean;
}

/** The policy's plan for a call: the endpoint chosen, why, the fallbacks, and every candidate's score. */
export interface RouteSelectEvent extends EventBase {
  readonly requestId: string;
  readonly endpointId: string;
  readonly tier: string;
  readonly reason: string;
  /** Fallback endpoint ids, in order. */
  readonly fallbacks: readonly string[];
  readonly candidates: readonly CandidateScore[];
  /** Endpoints that could not serve the call, and why. */
  readonly excluded: Readonly<Record<string, string>>;
}

/** How an attempt came about. */
export type AttemptKind = 'primary' | 'failover' | 'retry' | 'hedge' | 'escalation';

/** An attempt holds a slot and is sent to an endpoint. */
export interface AttemptStartEvent extends EventBase {
  readonly requestId: string;
  readonly endpointId: string;
  readonly tier: string;
  /** 1-based attempt number within the call. */
  readonly attempt: number;
  readonly kind: AttemptKind;
}

/** An attempt answered (for a stream: it ended cleanly). */
export interface AttemptEndEvent extends EventBase {
  readonly requestId: string;
  readonly endpointId: string;
  readonly tier: string;
  readonly attempt: number;
  readonly durationMs: number;
  readonly ttftMs: number | undefined;
}

/** An attempt failed; `failure` classifies why (a lost hedge is `aborted`). */
export interface AttemptErrorEvent extends EventBase {
  readonly requestId: string;
  readonly endpointId: string;
  readonly tier: string;
  readonly attempt: number;
  readonly failure: FailureClass;
  readonly status: number | undefined;
  readonly message: string;
  readonly durationMs: number;
}

/** Every candidate failed: a backoff round begins after `delayMs`. */
export interface RetryEvent extends EventBase {
  readonly requestId: string;
  /** Backoff round about to start (1 = first retry round). */
  readonly round: number;
  readonly delayMs: number;
  readonly reason: string;
}

/** A call moves at once to the next candidate after a failure. */
export interface FailoverEvent extends EventBase {
  readonly requestId: string;
  readonly fromEndpointId: string;
  readonly fromTier: string;
  readonly toEndpointId: string;
  readonly toTier: string;
  readonly failure: FailureClass;
}

/** A hedge: the same call goes to a second endpoint while the first has produced nothing. */
export interface HedgeStartEvent extends EventBase {
  readonly requestId: string;
  readonly endpointId: string;
  readonly primaryEndpointId: string;
  readonly delayMs: number;
}

/** An endpoint is taken out of rotation for a cool-down. */
export interface EndpointEjectEvent extends EventBase {
  readonly endpointId: string;
  readonly tier: string;
  readonly reason: string;
  readonly consecutiveFailures: number;
}

/**
 * An ejected endpoint is back: a call or a probe of this router succeeded, or (`'fleet'`) another
 * router sharing the store restored it.
 */
export interface EndpointRestoreEvent extends EventBase {
  readonly endpointId: string;
  readonly tier: string;
  readonly via: 'call' | 'probe' | 'fleet';
}

/** A probe (`GET /models`) finished. */
export interface ProbeEndEvent extends EventBase {
  readonly requestId: undefined;
  readonly endpointId: string;
  readonly ok: boolean;
  readonly rttMs: number;
  readonly status: number | undefined;
}

/** An attempt waited for a slot (endpoint or router `maxConcurrency`). */
export interface QueueWaitEvent extends EventBase {
  readonly requestId: string;
  readonly endpointId: string;
  readonly waitedMs: number;
}

/** A session's budget cannot cover a call's worst case: it is refused, nothing sent. */
export interface BudgetExceededEvent extends EventBase {
  readonly requestId: string;
  readonly sessionId: string;
  readonly budgetUsd: number;
  readonly spentUsd: number;
  readonly worstCaseUsd: number;
}

/** A call of a `session.batch()` settled. */
export interface BatchProgressEvent extends EventBase {
  readonly requestId: undefined;
  readonly sessionId: string;
  readonly batchId: string;
  /** Calls settled so far (answered or failed). */
  readonly done: number;
  readonly failed: number;
  readonly total: number;
}

/** A call was answered (for a stream: when it ended): who served it, how long it took, what it cost. */
export interface RequestEndEvent extends EventBase {
  readonly requestId: string;
  readonly endpointId: string;
  readonly tier: string;
  readonly attempts: number;
  readonly latencyMs: number;
  readonly ttftMs: number | undefined;
  readonly usage: CompletionUsage | undefined;
  readonly costUsd: number;
  readonly stream: boolean;
  /** The completion's `id`. */
  readonly responseId: string | undefined;
  /** The completion's `model`, as the endpoint reported it. */
  readonly responseModel: string | undefined;
  /** `finish_reason` of each choice, by index. */
  readonly finishReasons: readonly string[];
}

/** A call ended with an error; `code` is the error class's stable code. */
export interface RequestErrorEvent extends EventBase {
  readonly requestId: string;
  readonly code: TieredErrorCode;
  readonly message: string;
  readonly attempts: number;
  readonly latencyMs: number;
}

/**
 * The shared store (`store` option) failed or did not answer in time: the router runs on local
 * state — each process takes its fair share of an endpoint's slots and of a session's budget —
 * until `store:restored`.
 */
export interface StoreDegradedEvent extends EventBase {
  readonly requestId: undefined;
  readonly kind: string;
  readonly reason: string;
}

/** The shared store answers again: leases taken meanwhile are registered, spending replayed. */
export interface StoreRestoredEvent extends EventBase {
  readonly requestId: undefined;
  readonly kind: string;
  /** How long the router ran on local state, ms. */
  readonly downMs: number;
}

/** The typed event map of `router.on(...)`. (contract: names) */
export interface RouterEvents {
  'request:start': [event: RequestStartEvent];
  'route:select': [event: RouteSelectEvent];
  'attempt:start': [event: AttemptStartEvent];
  'attempt:end': [event: AttemptEndEvent];
  'attempt:error': [event: AttemptErrorEvent];
  retry: [event: RetryEvent];
  failover: [event: FailoverEvent];
  'hedge:start': [event: HedgeStartEvent];
  'endpoint:eject': [event: EndpointEjectEvent];
  'endpoint:restore': [event: EndpointRestoreEvent];
  'probe:end': [event: ProbeEndEvent];
  'queue:wait': [event: QueueWaitEvent];
  'budget:exceeded': [event: BudgetExceededEvent];
  'batch:progress': [event: BatchProgressEvent];
  'request:end': [event: RequestEndEvent];
  'request:error': [event: RequestErrorEvent];
  'store:degraded': [event: StoreDegradedEvent];
  'store:restored': [event: StoreRestoredEvent];
}

/** The name of a router event. */
export type RouterEventName = keyof RouterEvents;
