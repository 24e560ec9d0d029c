import type { RouterChatParams } from '../call-types.js';
import { InvalidRequestError } from '../errors.js';

/** What a capability filter needs to know about a request. */
export interface RequestNeeds {
  readonly tools: boolean;
  readonly jsonSchema: boolean;
  readonly vision: boolean;
  /** Only an endpoint with `responsesApi: 'native'` can serve it (a Responses call that cannot be translated). */
  readonly nativeResponses?: boolean | undefined;
}

/** What a call made through the Responses API adds to its facts. */
export interface ResponsesFacts {
  /**
   * The Responses body without `model` and `stream`, as `{...}`, for endpoints that take it
   * natively; serialized on first use, then kept for the call's other attempts.
   */
  readonly nativeTail: () => string;
}

/** The facts the policy routes on, read from a request body once per call. */
export interface RequestFacts {
  /** Characters of the serialized request that count toward the prompt (images excluded). */
  readonly promptChars: number;
  /** Image content parts (counted at a fixed token cost each). */
  readonly imageParts: number;
  /** `max_completion_tokens` ?? `max_tokens`, if the call set one. */
  readonly maxOutputTokens: number | undefined;
  readonly needs: RequestNeeds;
  /** `response_format` asked for JSON (json_object or json_schema). */
  readonly wantsJson: boolean;
  readonly stream: boolean;
  /** The caller asked for a usage chunk at the end of the stream. */
  readonly streamUsage: boolean;
  /** The `model` field as given (`undefined`, `'auto'`, a tier, an endpoint id or a model). */
  readonly model: string | undefined;
  /**
   * The request JSON without `model`, as `{...}`; each attempt splices its endpoint's model in
   * front, so the body is serialized once per call, not once per attempt.
   */
  readonly bodyTail: string;
  /** `stream_options` for a streamed request: the caller's, with `include_usage: true`. */
  readonly streamOptions: string;
  /** Set when the call came through the Responses API (`POST …/responses`). */
  readonly responses?: ResponsesFacts | undefined;
}

// Facts read before the call reached the engine (a Responses call, translated), carried on the
// body the router itself built: a hidden symbol property, not a WeakMap — a WeakMap entry per call
// costs the garbage collector more than the whole estimate.
const FACTS = Symbol('tiered.facts');

/**
 * Hands the engine facts read elsewhere: `estimateRequest(body)` then returns them as they are. The
 * Responses adapter translates a call into a chat body and reads its facts once; sessions and the
 * router pass the body along as any other, and no second estimate is made.
 */
export function withFacts<T extends object>(body: T, facts: RequestFacts): T {
  Object.defineProperty(body, FACTS, { value: facts });
  return body;
}

/**
 * Validates a chat completion body and reads its routing facts. No tokenizer: the prompt is
 * measured in characters of the JSON the endpoint will receive (messages, tools, schema), which
 * each endpoint's learned chars-per-token ratio turns into tokens.
 */
export function estimateRequest(body: RouterChatParams): RequestFacts {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('Failed to route the call: the body must be an object');
  }
  const known = (body as { [FACTS]?: RequestFacts })[FACTS];
  if (known) return known;
  const { messages, model, stream, max_tokens, max_completion_tokens } = body;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new InvalidRequestError(
      'Failed to route the call: `messages` must be a non-empty array',
      'messages',
    );
  }
  if (model !== undefined && model !== null && typeof model !== 'string') {
    throw new InvalidRequestError('Failed to route the call: `model` must be a string', 'model');
  }
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw new InvalidRequestError('Failed to route the call: `stream` must be a boolean', 'stream');
  }
  // Both are checked: an invalid one must not travel upstream and come back as a 400.
  const maxCompletionTokens = outputLimit(max_completion_tokens, 'max_completion_tokens');
  const maxTokens = outputLimit(max_tokens, 'max_tokens');
  const maxOutputTokens = maxCompletionTokens ?? maxTokens;

  let imageParts = 0;
  let imageChars = 0;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as unknown;
    if (
      typeof message !== 'object' ||
      message === null ||
      typeof (message as { role?: unknown }).role !== 'string'
    ) {
      throw new InvalidRequestError(
        `Failed to route the call: \`messages[${i}]\` must be an object with a string \`role\``,
        `messages[${i}]`,
      );
    }
    const content = (message as { content?: unknown }).content;
    if (Array.isArray(content)) {
      for (const part of content) {
        if (part && typeof part === 'object' && part.type === 'image_url') {
          imageParts++;
          const url = part.image_url?.url;
          if (typeof url === 'string') imageChars += url.length;
        }
      }
    }
  }

  const wantsStream = stream === true;
  const format = body.response_format?.type;
  const streamUsage = wantsStream && body.stream_options?.include_usage === true;

  // The tail: the body minus `model`, `stream` and `stream_options`, which each attempt splices in
  // front for its endpoint and its way of asking (plain or streamed, see `bodyFor`).
  const { model: _model, stream: _stream, stream_options: _streamOptions, ...rest } = body;
  const bodyTail = JSON.stringify(rest);

  return {
    promptChars: Math.max(1, bodyTail.length - imageChars),
    imageParts,
    maxOutputTokens,
    needs: {
      tools: Array.isArray(body.tools) && body.tools.length > 0,
      jsonSchema: format === 'json_schema',
      vision: imageParts > 0,
    },
    wantsJson: format === 'json_schema' || format === 'json_object',
    stream: wantsStream,
    streamUsage,
    model: model ?? undefined,
    bodyTail,
    streamOptions: body.stream_options
      ? JSON.stringify({ ...body.stream_options, include_usage: true })
      : '{"include_usage":true}',
  };
}

/**
 * The body an endpoint receives: the tail with its own model spliced in front, and for a streamed
 * request `stream: true` with usage (cost and calibration need it; the usage chunk is dropped again
 * for callers that did not ask for it).
 */
export function bodyFor(facts: RequestFacts, model: string, stream: boolean): string {
  const bodyTail = facts.bodyTail;
  const head = stream
    ? `{"model":${JSON.stringify(model)},"stream":true,"stream_options":${facts.streamOptions}`
    : `{"model":${JSON.stringify(model)}`;
  return spliceJson(head, bodyTail);
}

/**
 * An open JSON object `head` (`{"model":…`, no closing brace) completed with the members of the
 * object `tail` — how each attempt puts its own fields in front of the body serialized once.
 */
export function spliceJson(head: string, tail: string): string {
  return tail.length > 2 ? `${head},${tail.slice(1)}` : `${head}}`;
}

function outputLimit(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidRequestError(
      `Failed to route the call: \`${field}\` must be a positive integer, got ${JSON.stringify(value)}`,
      field,
    );
  }
  return value;
}
