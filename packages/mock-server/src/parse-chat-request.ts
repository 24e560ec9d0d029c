import { estimateMessageTokens, TOKENS_PER_REPLY } from './estimate-prompt-tokens.js';
import { hashString } from './internal/rng.js';

/** The parts of a chat completion request the mock acts on. */
export interface ChatRequest {
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** `max_completion_tokens`, else `max_tokens`; undefined when neither is given. */
  readonly maxTokens: number | undefined;
  /** Name of the function the request forces (`tool_choice: 'required'` or a named function). */
  readonly forcedTool: string | undefined;
  readonly responseFormat: 'text' | 'json_object' | 'json_schema';
  /** JSON schema of `response_format: json_schema`, if any. */
  readonly schema: unknown;
  readonly promptTokens: number;
  /** Per message: hash of the messages up to and including it (keys of the prefix cache). */
  readonly prefixHashes: readonly number[];
  /** Per message: prompt tokens up to and including it. */
  readonly prefixTokens: readonly number[];
  /** Hash of the whole request, seeds the deterministic content. */
  readonly contentSeed: number;
}

/** Why a body was refused: an OpenAI `invalid_request_error`. */
export interface ChatRequestProblem {
  readonly message: string;
  readonly param: string | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalCount = (value: unknown): number | undefined | false =>
  value === undefined || value === null
    ? undefined
    : typeof value === 'number' && Number.isInteger(value) && value > 0
      ? value
      : false;

/**
 * Parses the body of `POST /v1/chat/completions`. Only what the mock needs is checked: a JSON object
 * with a non-empty `messages` array of objects with a `role`; sane token limits.
 */
export function parseChatRequest(body: string): ChatRequest | ChatRequestProblem {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { message: 'We could not parse the JSON body of your request.', param: null };
  }
  if (!isRecord(json)) return { message: 'The request body must be a JSON object.', param: null };
  const { messages } = json;
  if (!Array.isArray(messages) || messages.length === 0) {
    return { message: "'messages' must be a non-empty array.", param: 'messages' };
  }
  const prefixHashes: number[] = [];
  const prefixTokens: number[] = [];
  let hash = hashString('');
  let tokens = TOKENS_PER_REPLY;
  for (const [i, message] of messages.entries()) {
    if (!isRecord(message) || typeof message.role !== 'string') {
      return {
        message: `'messages[${i}]' must be an object with a 'role'.`,
        param: `messages[${i}]`,
      };
    }
    hash = hashString(JSON.stringify(message), hash);
    tokens += estimateMessageTokens(message);
    prefixHashes.push(hash);
    prefixTokens.push(tokens);
  }
  const maxCompletion = optionalCount(json.max_completion_tokens);
  const max = optionalCount(json.max_tokens);
  if (maxCompletion === false) {
    return {
      message: "'max_completion_tokens' must be a positive integer.",
      param: 'max_completion_tokens',
    };
  }
  if (max === false) {
    return { message: "'max_tokens' must be a positive integer.", param: 'max_tokens' };
  }
  const tools = Array.isArray(json.tools) ? json.tools : [];
  // Tool definitions are part of the prompt a real server sees.
  const promptTokens =
    tokens + (tools.length > 0 ? Math.ceil(JSON.stringify(tools).length / 4) : 0);
  const format = isRecord(json.response_format) ? json.response_format.type : undefined;
  const jsonSchema = isRecord(json.response_format) ? json.response_format.json_schema : undefined;
  const streamOptions = json.stream_options;
  return {
    stream: json.stream === true,
    includeUsage: isRecord(streamOptions) && streamOptions.include_usage === true,
    maxTokens: maxCompletion ?? max,
    forcedTool: forcedTool(json.tool_choice, tools),
    responseFormat: format === 'json_object' || format === 'json_schema' ? format : 'text',
    schema: isRecord(jsonSchema) ? jsonSchema.schema : undefined,
    promptTokens,
    prefixHashes,
    prefixTokens,
    contentSeed: hashString(body),
  };
}

function forcedTool(choice: unknown, tools: unknown[]): string | undefined {
  if (tools.length === 0) return undefined;
  if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') {
    return choice.function.name;
  }
  if (choice !== 'required') return undefined;
  const first = tools[0];
  if (isRecord(first) && isRecord(first.function) && typeof first.function.name === 'string') {
    return first.function.name;
  }
  return 'tool';
}

/** Type guard: did {@link parseChatRequest} refuse the body? */
export function isChatRequestProblem(
  value: ChatRequest | ChatRequestProblem,
): value is ChatRequestProblem {
  return 'message' in value;
}
