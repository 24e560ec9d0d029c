import type { Router } from '@tiered/sdk';

/** One routed call, as the router's events told it. */
export interface RoutedCall {
  readonly requestId: string;
  /** Endpoint of each attempt, in order (`attempt:start`). */
  readonly attempts: readonly string[];
  /** The endpoint whose answer the caller got (`request:end`); undefined if the call failed. */
  readonly servedBy: string | undefined;
  /** The error code the call ended with (`request:error`); undefined if it was answered. */
  readonly errorCode: string | undefined;
}

interface MutableCall {
  requestId: string;
  attempts: string[];
  servedBy: string | undefined;
  errorCode: string | undefined;
}

/**
 * Where calls went, from the router's events — the view that works whatever client sits on top
 * (a framework may not expose the `x-tiered-endpoint` response header). `mark()` and `since()` cut
 * the log into the calls one step of an example made.
 */
export class RouteLog {
  readonly #calls: MutableCall[] = [];
  readonly #byId = new Map<string, MutableCall>();

  constructor(router: Router) {
    router
      .on('request:start', (e) => {
        const call = {
          requestId: e.requestId,
          attempts: [],
          servedBy: undefined,
          errorCode: undefined,
        };
        this.#calls.push(call);
        this.#byId.set(e.requestId, call);
      })
      .on('attempt:start', (e) => {
        this.#byId.get(e.requestId)?.attempts.push(e.endpointId);
      })
      .on('request:end', (e) => {
        const call = this.#byId.get(e.requestId);
        if (call) call.servedBy = e.endpointId;
      })
      .on('request:error', (e) => {
        const call = this.#byId.get(e.requestId);
        if (call) call.errorCode = e.code;
      });
  }

  /** Every call so far, in the order they started. */
  get calls(): readonly RoutedCall[] {
    return this.#calls;
  }

  /** A position in the log, for {@link since}. */
  mark(): number {
    return this.#calls.length;
  }

  /** The calls started since `mark`. */
  since(mark: number): readonly RoutedCall[] {
    return this.#calls.slice(mark);
  }
}
