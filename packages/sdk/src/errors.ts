/**
 * Every error the router throws is a `TieredError` with a stable `code`. Callers branch on `code`
 * (or `instanceof` / `isInstance`), never on message text.
 */

const marker = Symbol.for('@tiered/sdk.error');

/** Stable codes, one per error class (a few classes carry a `kind` for finer detail). */
export type TieredErrorCode =
  | 'config_invalid'
  | 'invalid_request'
  | 'no_endpoint'
  | 'upstream_error'
  | 'all_attempts_failed'
  | 'timeout'
  | 'stream_interrupted'
  | 'aborted'
  | 'router_closed'
  | 'budget_exceeded'
  | 'deadline_exceeded'
  | 'store_unavailable';

/** What went wrong with one attempt, as the router classified it. */
export type FailureClass =
  | 'connection' // could not connect, or the connection dropped before a response
  | 'timeout' // first-token or attempt timeout
  | 'stall' // a stream stopped sending chunks
  | 'rate_limited' // 429
  | 'server' // 5xx, 408, 409
  | 'context_length' // 400 context_length_exceeded: the estimate was short for this endpoint
  | 'misconfigured' // 401, 403, 404: this endpoint's key, URL or model is wrong
  | 'bad_response' // malformed JSON / SSE, wrong content type, error body with 200
  | 'client' // any other 4xx: the caller's request is wrong, trying elsewhere won't help
  | 'aborted'; // the caller aborted

/** One attempt of a call, as reported in errors and events. No secrets, no prompt text. */
export interface AttemptRecord {
  readonly endpointId: string;
  readonly tier: string;
  readonly failure: FailureClass;
  readonly status?: number | undefined;
  readonly message: string;
  readonly durationMs: number;
}

/** Base class of every error the SDK throws. */
export class TieredError extends Error {
  readonly [marker] = true;
  readonly code: TieredErrorCode;

  constructor(code: TieredErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** `instanceof` that also works across two installed copies of the package. */
  static isInstance(value: unknown): value is TieredError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}

/** Invalid router, endpoint, session or call options. Thrown synchronously by `createRouter`. */
export class ConfigError extends TieredError {
  /** The option path at fault, e.g. `endpoints[2].contextWindow`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super('config_invalid', message);
    this.field = field;
  }
}

/** The call's body or routing hints are invalid (no messages, unknown model, …). Nothing was sent. */
export class InvalidRequestError extends TieredError {
  readonly param: string | undefined;
  constructor(message: string, param?: string) {
    super('invalid_request', message);
    this.param = param;
  }
}

/** No endpoint can serve the call: the prompt fits no context window, or a capability is missing. */
export class NoEndpointError extends TieredError {
  /** Why each endpoint was excluded, by id. */
  readonly excluded: Readonly<Record<string, string>>;
  constructor(message: string, excluded: Readonly<Record<string, string>>) {
    super('no_endpoint', message);
    this.excluded = excluded;
  }
}

/**
 * An endpoint refused the request itself — a 4xx other than a context-length error, 401, 403,
 * 404, 408, 409 or 429 — so trying it elsewhere would not help. Carries OpenAI's error fields.
 */
export class UpstreamError extends TieredError {
  readonly status: number;
  readonly endpointId: string;
  readonly type: string | undefined;
  readonly upstreamCode: string | undefined;
  readonly param: string | undefined;
  constructor(
    message: string,
    fields: {
      status: number;
      endpointId: string;
      type?: string | undefined;
      upstreamCode?: string | undefined;
      param?: string | undefined;
    },
  ) {
    super('upstream_error', message);
    this.status = fields.status;
    this.endpointId = fields.endpointId;
    this.type = fields.type;
    this.upstreamCode = fields.upstreamCode;
    this.param = fields.param;
  }
}

/** Every planned endpoint failed, or retries ran out (count or retry budget). */
export class AllAttemptsFailedError extends TieredError {
  readonly attempts: readonly AttemptRecord[];
  constructor(message: string, attempts: readonly AttemptRecord[], cause?: unknown) {
    super('all_attempts_failed', message, { cause });
    this.attempts = attempts;
  }
}

/** The call's total timeout passed. (First-token and stall timeouts of one attempt fail over.) */
export class TimeoutError extends TieredError {
  readonly timeoutMs: number;
  readonly attempts: readonly AttemptRecord[];
  constructor(message: string, timeoutMs: number, attempts: readonly AttemptRecord[]) {
    super('timeout', message);
    this.timeoutMs = timeoutMs;
    this.attempts = attempts;
  }
}

/**
 * A stream broke after content reached the caller (cut, stalled, garbled, or ended without a
 * finish). The chunks already yielded are a prefix of an answer, not an answer.
 */
export class StreamInterruptedError extends TieredError {
  readonly endpointId: string;
  readonly reason: 'disconnect' | 'stall' | 'malformed' | 'incomplete' | 'upstream_error';
  readonly chunksReceived: number;
  constructor(
    message: string,
    fields: {
      endpointId: string;
      reason: StreamInterruptedError['reason'];
      chunksReceived: number;
      cause?: unknown;
    },
  ) {
    super('stream_interrupted', message, { cause: fields.cause });
    this.endpointId = fields.endpointId;
    this.reason = fields.reason;
    this.chunksReceived = fields.chunksReceived;
  }
}

/** The caller's `AbortSignal` fired. */
export class AbortError extends TieredError {
  constructor(message = 'Request aborted by the caller', cause?: unknown) {
    super('aborted', message, { cause });
  }
}

/** The router was closed; it takes no new calls. */
export class RouterClosedError extends TieredError {
  constructor() {
    super('router_closed', 'Failed to start the call: the router is closed');
  }
}

/** A session's budget cannot cover the call's worst-case cost on any fitting tier. Nothing was sent. */
export class BudgetExceededError extends TieredError {
  readonly budgetUsd: number;
  readonly spentUsd: number;
  readonly worstCaseUsd: number;
  constructor(
    message: string,
    fields: { budgetUsd: number; spentUsd: number; worstCaseUsd: number },
  ) {
    super('budget_exceeded', message);
    this.budgetUsd = fields.budgetUsd;
    this.spentUsd = fields.spentUsd;
    this.worstCaseUsd = fields.worstCaseUsd;
  }
}

/** A session's deadline passed, or no tier is predicted to answer before it. */
export class DeadlineExceededError extends TieredError {
  readonly deadlineMs: number;
  constructor(message: string, deadlineMs: number) {
    super('deadline_exceeded', message);
    this.deadlineMs = deadlineMs;
  }
}

/**
 * A call of a session with a budget could not reserve its worst case because the shared store
 * (`store` option) did not answer. A budget is a promise about money, and only the store knows
 * what the other processes spent: the call is refused rather than risk overspending. Nothing was
 * sent; calls without a budget keep flowing on local state. Retry once the store is back
 * (`store:restored`).
 */
export class StoreUnavailableError extends TieredError {
  readonly sessionId: string;
  constructor(message: string, sessionId: string, cause?: unknown) {
    super('store_unavailable', message, { cause });
    this.sessionId = sessionId;
  }
}
