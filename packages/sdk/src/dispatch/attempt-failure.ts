import type { FailureClass, StreamInterruptedError, TieredError } from '../errors.js';

/**
 * Why one attempt failed, classified. Internal: the dispatcher turns these into failover, retry,
 * or one of the public errors.
 */
export class AttemptFailure extends Error {
  readonly failure: FailureClass;
  readonly status: number | undefined;
  /** From `Retry-After` / `retry-after-ms`, capped. */
  readonly retryAfterMs: number | undefined;
  /** OpenAI error fields from the body, when there was one. */
  readonly type: string | undefined;
  readonly upstreamCode: string | undefined;
  readonly param: string | undefined;
  /** For context-length errors: the prompt tokens the endpoint counted, if it said. */
  readonly reportedPromptTokens: number | undefined;

  constructor(
    failure: FailureClass,
    message: string,
    fields: {
      status?: number | undefined;
      retryAfterMs?: number | undefined;
      type?: string | undefined;
      upstreamCode?: string | undefined;
      param?: string | undefined;
      reportedPromptTokens?: number | undefined;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: fields.cause });
    this.failure = failure;
    this.status = fields.status;
    this.retryAfterMs = fields.retryAfterMs;
    this.type = fields.type;
    this.upstreamCode = fields.upstreamCode;
    this.param = fields.param;
    this.reportedPromptTokens = fields.reportedPromptTokens;
  }

  /** Worth trying again elsewhere or later. */
  get retryable(): boolean {
    return this.failure !== 'client' && this.failure !== 'aborted';
  }
}

/** How a broken stream counts against its endpoint. */
export function streamFailureClass(
  error: StreamInterruptedError | TieredError,
): AttemptFailure['failure'] {
  switch ((error as StreamInterruptedError).reason) {
    case 'stall':
      return 'stall';
    case 'malformed':
      return 'bad_response';
    case 'upstream_error':
      return 'server';
    default:
      return 'connection';
  }
}

/**
 * Not an attempt at all: the endpoint is half-open and another router of the fleet holds its one
 * trial. Nothing was sent; the call moves on to its next candidate.
 */
export class TrialElsewhere extends Error {
  constructor(readonly endpointId: string) {
    super(`${endpointId} is on trial by another router`);
  }
}
