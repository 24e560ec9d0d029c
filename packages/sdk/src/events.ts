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

export interface RequestStartEvent extends EventBase {
  readonly requestId: string;
  readonly model: string | undefined;
  readonly stream: boolean;
  readonly sessionId: string | undefined;
}

export interface CandidateScore {
  readonly endpointId: string;
  readonly tier: string;
  readonly promptTokens: number;
  readonly predictedMs: number;
  readonly queueWaitMs: number;
  readonly cost: number;
  readonly available: boolean;
}

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

export interface AttemptStartEvent extends EventBase {
  readonly requestId: string;
  readonly endpointId: string;
  readonly tier: string;
  /** 1-based attempt number within the call. */
  readonly attempt: number;
  readonly kind: AttemptKind;
}

export interface AttemptEndEvent extends EventBase {
  readonly requestId: string;
  readonly endpointId: string;
  readonly tier: string;
  readonly attempt: number;
  readonly durationMs: number;
  readonly ttftMs: number | undefined;
}

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

export interface RetryEvent extends EventBase {
  readonly requestId: string;
  /** Backoff round about to start (1 = first retry round). */
  readonly round: number;
  readonly delayMs: number;
  readonly reason: string;
}

export interface FailoverEvent extends EventBase {
  readonly requestId: string;
  readonly fromEndpointId: string;
  readonly fromTier: string;
  readonly toEndpointId: string;
  readonly toTier: string;
  readonly failure: FailureClass;
}

export interface HedgeStartEvent extends EventBase {
  readonly requestId: string;
  readonly endpointId: string;
  readonly primaryEndpointId: string;
  readonly delayMs: number;
}

export interface EndpointEjectEvent extends EventBase {
  readonly endpointId: string;
  readonly tier: string;
  readonly reason: string;
  readonly consecutiveFailures: number;
}

export interface EndpointRestoreEvent extends EventBase {
  readonly endpointId: string;
  readonly tier: string;
  readonly via: 'call' | 'probe';
}

export interface ProbeEndEvent extends EventBase {
  readonly requestId: undefined;
  readonly endpointId: string;
  readonly ok: boolean;
  readonly rttMs: number;
  readonly status: number | undefined;
}

export interface QueueWaitEvent extends EventBase {
  readonly requestId: string;
  readonly endpointId: string;
  readonly waitedMs: number;
}

export interface BudgetExceededEvent extends EventBase {
  readonly requestId: string;
  readonly sessionId: string;
  readonly budgetUsd: number;
  readonly spentUsd: number;
  readonly worstCaseUsd: number;
}

export interface BatchProgressEvent extends EventBase {
  readonly requestId: undefined;
  readonly sessionId: string;
  readonly batchId: string;
  /** Calls settled so far (answered or failed). */
  readonly done: number;
  readonly failed: number;
  readonly total: number;
}

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
}

export interface RequestErrorEvent extends EventBase {
  readonly requestId: string;
  readonly code: TieredErrorCode;
  readonly message: string;
  readonly attempts: number;
  readonly latencyMs: number;
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
}

export type RouterEventName = keyof RouterEvents;
