/**
 * Counters of one endpoint. "Requests" are the generating ones — `POST /v1/chat/completions` and
 * `POST /v1/responses` alike (`byRoute` tells them apart). Control-plane requests (`/__control`,
 * `/__stats`) are not counted.
 */
export interface MockStats {
  /** Requests received (whatever became of them). */
  received: number;
  /** Requests received per route: `/v1/chat/completions`, `/v1/responses`. */
  byRoute: Record<string, number>;
  /** Requests answered in full with status 200. */
  completed: number;
  /** Requests answered with an error status, or cut by an injected disconnect. */
  failed: number;
  /** Requests whose client went away before the answer was finished (incl. hangs). */
  aborted: number;
  /** Requests holding a slot now. */
  inFlight: number;
  maxInFlight: number;
  /** Requests waiting for a slot now. */
  queued: number;
  maxQueued: number;
  /** Answers by HTTP status (generating requests only). */
  byStatus: Record<string, number>;
  /** Injected faults by kind (`rateLimit`, `error`, `hang`, `disconnect`, `stall`, `malformed`). */
  faults: Record<string, number>;
  /** Prompt tokens of requests that started generating. */
  tokensIn: number;
  /** Output tokens sent. */
  tokensOut: number;
  /** Prompt tokens served from the prefix cache. */
  cachedTokensIn: number;
  /** Requests received per `x-request-id` (else `x-tiered-request-id`) header. */
  byRequestId: Record<string, number>;
  /** Distinct `Authorization` header values seen on any route (at most 50), for key-leak tests. */
  authorization: string[];
  /** `GET /v1/models` and `GET /health` requests (probes). */
  probes: number;
  /**
   * The W3C trace context of chat requests that carried one, in arrival order (the first 1,000),
   * for propagation tests: which `traceparent` each upstream request brought.
   */
  traceHeaders: TraceHeaders[];
}

/** Trace context headers one chat request carried, with its request id. */
export interface TraceHeaders {
  /** `x-request-id`, else `x-tiered-request-id`. */
  requestId?: string;
  traceparent?: string;
  tracestate?: string;
  baggage?: string;
}

/** Most trace-context records kept: enough for tests, bounded under load. */
export const MAX_TRACE_HEADERS = 1000;

/** Most distinct `Authorization` values kept: enough for leak tests, bounded under load. */
export const MAX_AUTHORIZATION_VALUES = 50;

/** Fresh, zeroed counters. */
export function createMockStats(): MockStats {
  return {
    received: 0,
    byRoute: {},
    completed: 0,
    failed: 0,
    aborted: 0,
    inFlight: 0,
    maxInFlight: 0,
    queued: 0,
    maxQueued: 0,
    byStatus: {},
    faults: {},
    tokensIn: 0,
    tokensOut: 0,
    cachedTokensIn: 0,
    byRequestId: {},
    authorization: [],
    probes: 0,
    traceHeaders: [],
  };
}

/** A deep copy, so callers can keep a snapshot while counting goes on. */
export function snapshotStats(stats: MockStats): MockStats {
  return {
    ...stats,
    byRoute: { ...stats.byRoute },
    byStatus: { ...stats.byStatus },
    faults: { ...stats.faults },
    byRequestId: { ...stats.byRequestId },
    authorization: [...stats.authorization],
    traceHeaders: stats.traceHeaders.map((t) => ({ ...t })),
  };
}
