/** What a caller of a framework sees when a routed call fails. */
export interface FrameworkErrorView {
  /** The error's class name, e.g. `APICallError`, `InternalServerError`. */
  readonly name: string;
  /** HTTP status the framework read from `router.fetch`'s answer. */
  readonly status: number | undefined;
  /** The router's error code, from the OpenAI-shaped error body (`error.code`). */
  readonly code: string | undefined;
  readonly message: string;
}

type Loose = Record<string, unknown> | undefined;

/**
 * Reads an error thrown by the openai client (and the frameworks built on it: LangChain, the
 * Agents SDK) or by the AI SDK (`APICallError`, whose parsed body is in `data`), without depending
 * on either package's classes.
 */
export function describeError(error: unknown): FrameworkErrorView {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const status =
    typeof e.status === 'number'
      ? e.status
      : typeof e.statusCode === 'number'
        ? e.statusCode
        : undefined;
  const data = e.data as Loose;
  const body = (e.error ?? (data?.error as Loose)) as Loose;
  const code =
    typeof body?.code === 'string' ? body.code : typeof e.code === 'string' ? e.code : undefined;
  return {
    name: error instanceof Error ? error.constructor.name : typeof error,
    status,
    code,
    message: error instanceof Error ? error.message : String(error),
  };
}
