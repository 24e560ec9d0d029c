import { estimateMessageTokens, TOKENS_PER_REPLY } from './estimate-prompt-tokens.js';
import { findPromptSchema } from './find-prompt-schema.js';
import {
  isRecord,
  isRequestProblem,
  jsonObjectBody,
  optionalCount,
  type RequestProblem,
} from './internal/request-fields.js';
import { hashString } from './internal/rng.js';
import { textOf } from './internal/text-of.js';
import type { ToolCallRequest, ToolChoice, ToolSpec } from './plan-tool-calls.js';

/** A tool result the conversation ends with (a `tool` message), for the answer to mention. */
export interface ToolResult {
  /** The function's name, from the assistant message that called it; undefined if not found. */
  readonly name: string | undefined;
  readonly content: string;
}

/** The parts of a chat completion request the mock acts on. */
export interface ChatRequest extends ToolCallRequest {
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** `max_completion_tokens`, else `max_tokens`; undefined when neither is given. */
  readonly maxTokens: number | undefined;
  /** The tool results the conversation ends with, in order; empty when it does not. */
  readonly toolResults: readonly ToolResult[];
  readonly responseFormat: 'text' | 'json_object' | 'json_schema';
  /**
   * The schema the content must meet: `response_format.json_schema.schema`, or with `json_object`
   * a schema written in the prompt ({@link findPromptSchema}); undefined when there is none.
   */
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
/** What was wrong with a chat (or Responses) request: OpenAI's 400 message and the parameter. */
export type ChatRequestProblem = RequestProblem;

/**
 * Parses the body of `POST /v1/chat/completions`. Only what the mock needs is checked: a JSON object
 * with a non-empty `messages` array of objects with a `role`; sane token limits.
 */
export function parseChatRequest(body: string): ChatRequest | ChatRequestProblem {
  const json = jsonObjectBody(body);
  if (isRequestProblem(json)) return json;
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
  const choice = parseToolChoice(json.tool_choice, functionTools(tools));
  if ('message' in choice) return choice;
  const type = isRecord(json.response_format) ? json.response_format.type : undefined;
  const format = type === 'json_object' || type === 'json_schema' ? type : 'text';
  const jsonSchema = isRecord(json.response_format) ? json.response_format.json_schema : undefined;
  const streamOptions = json.stream_options;
  const toolResults = trailingToolResults(messages);
  return {
    stream: json.stream === true,
    includeUsage: isRecord(streamOptions) && streamOptions.include_usage === true,
    maxTokens: maxCompletion ?? max,
    tools: choice.tools,
    toolChoice: choice.toolChoice,
    parallelToolCalls: json.parallel_tool_calls !== false,
    endsWithToolResult: toolResults.length > 0,
    toolResults,
    responseFormat: format,
    schema:
      format === 'json_schema'
        ? isRecord(jsonSchema)
          ? jsonSchema.schema
          : undefined
        : format === 'json_object'
          ? findPromptSchema(messages)
          : undefined,
    promptTokens,
    prefixHashes,
    prefixTokens,
    contentSeed: hashString(body),
  };
}

/** The function tools of `tools` (other kinds, e.g. `custom`, are not called by the mock). */
function functionTools(tools: readonly unknown[]): ToolSpec[] {
  const out: ToolSpec[] = [];
  for (const tool of tools) {
    if (!isRecord(tool) || (tool.type !== undefined && tool.type !== 'function')) continue;
    const fn = tool.function;
    if (isRecord(fn) && typeof fn.name === 'string') {
      out.push({ name: fn.name, parameters: fn.parameters });
    }
  }
  return out;
}

const nameOf = (value: unknown): string | undefined =>
  isRecord(value) && isRecord(value.function) && typeof value.function.name === 'string'
    ? value.function.name
    : undefined;

/**
 * `tool_choice`, checked as OpenAI checks it: a forcing choice needs tools, a named function must
 * be one of them, a string must be a known mode. `allowed_tools` narrows the tools to its list.
 * Object shapes the mock does not model (e.g. a named custom tool) count as `'auto'`.
 */
function parseToolChoice(
  choice: unknown,
  tools: ToolSpec[],
): { tools: ToolSpec[]; toolChoice: ToolChoice } | ChatRequestProblem {
  if (choice === undefined || choice === null || choice === 'auto' || choice === 'none') {
    return { tools, toolChoice: choice === 'none' ? 'none' : 'auto' };
  }
  if (typeof choice === 'string' && choice !== 'required') {
    return {
      message: `Invalid value: '${choice}'. Supported values are: 'none', 'auto', and 'required'.`,
      param: 'tool_choice',
    };
  }
  if (tools.length === 0 && (choice === 'required' || nameOf(choice) !== undefined)) {
    return {
      message:
        "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
      param: 'tool_choice',
    };
  }
  if (choice === 'required') return { tools, toolChoice: 'required' };
  const name = nameOf(choice);
  if (name !== undefined) {
    if (!tools.some((t) => t.name === name)) {
      return {
        message: `Tool choice '${name}' not found in 'tools' parameter.`,
        param: 'tool_choice',
      };
    }
    return { tools, toolChoice: { name } };
  }
  if (isRecord(choice) && choice.type === 'allowed_tools' && isRecord(choice.allowed_tools)) {
    const { mode, tools: allowed } = choice.allowed_tools;
    const names = new Set(Array.isArray(allowed) ? allowed.map(nameOf) : []);
    return {
      tools: tools.filter((t) => names.has(t.name)),
      toolChoice: mode === 'required' ? 'required' : 'auto',
    };
  }
  return { tools, toolChoice: 'auto' };
}

/**
 * The `tool` (or legacy `function`) messages the conversation ends with, each named after the
 * call it answers: the `tool_call_id` looked up in the assistant message before them.
 */
function trailingToolResults(messages: readonly unknown[]): ToolResult[] {
  let first = messages.length;
  while (first > 0) {
    const message = messages[first - 1];
    if (!isRecord(message) || (message.role !== 'tool' && message.role !== 'function')) break;
    first--;
  }
  if (first === messages.length) return [];
  const names = new Map<unknown, string>();
  const caller = messages[first - 1];
  if (isRecord(caller) && Array.isArray(caller.tool_calls)) {
    for (const call of caller.tool_calls) {
      const name = nameOf(call);
      if (isRecord(call) && name !== undefined) names.set(call.id, name);
    }
  }
  return messages.slice(first).map((message) => {
    const m = message as Record<string, unknown>;
    const name = typeof m.name === 'string' ? m.name : names.get(m.tool_call_id);
    return { name, content: textOf(m.content) };
  });
}

/** Type guard: did {@link parseChatRequest} refuse the body? */
export function isChatRequestProblem(
  value: ChatRequest | ChatRequestProblem,
): value is ChatRequestProblem {
  return 'message' in value;
}
