import type { CallOptions, RouteHints } from '../call-types.js';
import { InvalidRequestError } from '../errors.js';
import { describe, isObject, MAX_TIMER_MS } from './validate.js';

/** Per-call options after their shape is checked. */
export interface CheckedCallOptions {
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly route: RouteHints | undefined;
}

const ROUTE_KEYS = [
  'tier',
  'endpoint',
  'session',
  'priority',
  'deadlineMs',
  'slack',
  'hedge',
  'accept',
  'escalate',
];

const NONE: CheckedCallOptions = {
  signal: undefined,
  timeoutMs: undefined,
  headers: undefined,
  route: undefined,
};

/**
 * Checks the shape of a call's options before anything is sent: a bad header or signal must be
 * the caller's `InvalidRequestError`, not a failure charged to every endpoint in turn.
 */
export function checkCallOptions(options: CallOptions | undefined): CheckedCallOptions {
  if (options === undefined || options === null) return NONE;
  if (!isObject(options)) invalid('options', 'an object', options);
  const { signal, timeout, headers, route } = options as CallOptions;
  if (signal != null && !isAbortSignal(signal)) invalid('signal', 'an AbortSignal', signal);
  if (timeout !== undefined) checkMs('timeout', timeout);
  if (route !== undefined) {
    if (!isObject(route)) invalid('route', 'an object', route);
    for (const key of Object.keys(route)) {
      if (!ROUTE_KEYS.includes(key)) {
        throw new InvalidRequestError(
          `Failed to route the call: unknown option \`route.${key}\`; expected one of: ${ROUTE_KEYS.map((k) => `\`${k}\``).join(', ')}`,
          `route.${key}`,
        );
      }
    }
    if (route.deadlineMs !== undefined) checkMs('route.deadlineMs', route.deadlineMs);
    if (route.slack !== undefined) checkSlack(route.slack);
  }
  if (headers !== undefined) checkHeaders(headers);
  return { signal: signal ?? undefined, timeoutMs: timeout, headers, route };
}

function checkMs(param: string, value: unknown): void {
  if (typeof value !== 'number' || !(value > 0) || value > MAX_TIMER_MS) {
    const what = param === 'timeout' ? 'a positive number of ms' : 'a positive number';
    throw new InvalidRequestError(
      `Failed to route the call: \`${param}\` must be ${what}, got ${String(value)} (at most ${MAX_TIMER_MS} ms)`,
      param,
    );
  }
}

function checkSlack(value: unknown): void {
  // NaN fails `>= 1`; Infinity passes (always the cheapest tier that fits).
  if (typeof value !== 'number' || !(value >= 1)) {
    throw new InvalidRequestError(
      `Failed to route the call: \`route.slack\` must be a number ≥ 1, got ${describe(value)}`,
      'route.slack',
    );
  }
}

function checkHeaders(headers: unknown): void {
  if (!isObject(headers)) invalid('headers', 'an object of header names to strings', headers);
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') invalid(`headers.${name}`, 'a string', value);
  }
  try {
    new Headers(headers as Record<string, string>);
  } catch {
    throw new InvalidRequestError(
      'Failed to route the call: `headers` has an invalid header name or value',
      'headers',
    );
  }
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AbortSignal).addEventListener === 'function' &&
    typeof (value as AbortSignal).aborted === 'boolean'
  );
}

function invalid(param: string, expected: string, value: unknown): never {
  throw new InvalidRequestError(
    `Failed to route the call: expected \`${param}\` to be ${expected}, got ${describe(value)}`,
    param,
  );
}
