export type {
  CallOptions,
  ChatCompletions,
  RouteHints,
  RouterChatParams,
  RouterChatParamsNonStreaming,
  RouterChatParamsStreaming,
} from './call-types.js';
export type {
  Capabilities,
  EndpointOptions,
  EscalateOptions,
  EstimateOptions,
  FetchLike,
  HealthOptions,
  HedgeOptions,
  Price,
  PriorOptions,
  ProbeOptions,
  RetryOptions,
  RouterOptions,
  TimeoutOptions,
} from './config.js';
export type { Router } from './create-router.js';
export { createRouter } from './create-router.js';
export { RouterStream } from './dispatch/router-stream.js';
export type { AttemptRecord, FailureClass, TieredErrorCode } from './errors.js';
export {
  AbortError,
  AllAttemptsFailedError,
  BudgetExceededError,
  ConfigError,
  DeadlineExceededError,
  InvalidRequestError,
  NoEndpointError,
  RouterClosedError,
  StoreUnavailableError,
  StreamInterruptedError,
  TieredError,
  TimeoutError,
  UpstreamError,
} from './errors.js';
export type {
  AttemptEndEvent,
  AttemptErrorEvent,
  AttemptKind,
  AttemptStartEvent,
  BatchProgressEvent,
  BudgetExceededEvent,
  CandidateScore,
  EndpointEjectEvent,
  EndpointRestoreEvent,
  EventBase,
  FailoverEvent,
  HedgeStartEvent,
  ProbeEndEvent,
  QueueWaitEvent,
  RequestEndEvent,
  RequestErrorEvent,
  RequestParams,
  RequestStartEvent,
  ResponseMeta,
  RetryEvent,
  RouterEventName,
  RouterEvents,
  RouteSelectEvent,
  StoreDegradedEvent,
  StoreRestoredEvent,
} from './events.js';
export type { RouteInfo } from './route-of.js';
export { routeOf } from './route-of.js';
export type { BatchOptions, Session, SessionOptions, SessionStats } from './session.js';
export type { EndpointStats, Percentiles, RouterStats } from './stats.js';
export type { StoreStats } from './store/fleet.js';
export type { MemoryStoreOptions } from './store/memory-store.js';
export { memoryStore } from './store/memory-store.js';
export type {
  Lease,
  Ledger,
  StateStore,
  StoreOptions,
  StoreSettings,
} from './store/state-store.js';
export type {
  Telemetry,
  TelemetryAttempt,
  TelemetryAttemptEnd,
  TelemetryAttemptStart,
  TelemetryCall,
  TelemetryCallStart,
} from './telemetry.js';
