/** Field checks shared by the chat completions and Responses request parsers. */

/** What was wrong with a request: OpenAI's 400 message and the parameter at fault. */
export interface RequestProblem {
  readonly message: string;
  readonly param: string | null;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A token limit: a positive integer, absent (`undefined`), or invalid (`false`). */
export const optionalCount = (value: unknown): number | undefined | false =>
  value === undefined || value === null
    ? undefined
    : typeof value === 'number' && Number.isInteger(value) && value > 0
      ? value
      : false;

/** The body as a JSON object, or OpenAI's 400 for a body that is not one. */
export function jsonObjectBody(body: string): Record<string, unknown> | RequestProblem {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { message: 'We could not parse the JSON body of your request.', param: null };
  }
  if (!isRecord(json)) return { message: 'The request body must be a JSON object.', param: null };
  return json;
}

export function isRequestProblem(value: unknown): value is RequestProblem {
  return isRecord(value) && typeof value.message === 'string' && 'param' in value;
}
