/** The W3C trace context headers: the only caller headers `router.fetch` forwards upstream. */
export const TRACE_HEADERS: readonly string[] = ['traceparent', 'tracestate', 'baggage'];

/**
 * The caller's trace context headers (lower-case names), or `undefined` when it sent none.
 * Only `traceparent`, `tracestate` and `baggage`: the rest of a caller's headers stays private.
 */
export function traceHeadersOf(
  headers: Readonly<Record<string, string>> | Headers | undefined,
): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  let found: Record<string, string> | undefined;
  const add = (name: string, value: string) => {
    found ??= {};
    found[name] = value;
  };
  if (headers instanceof Headers) {
    for (const name of TRACE_HEADERS) {
      const value = headers.get(name);
      if (value !== null) add(name, value);
    }
    return found;
  }
  for (const name in headers) {
    const lower = name.toLowerCase();
    const value = headers[name];
    if (TRACE_HEADERS.includes(lower) && typeof value === 'string') add(lower, value);
  }
  return found;
}
