import { estimateMessageTokens, TOKENS_PER_REPLY } from './estimate-prompt-tokens.js';
import { findPromptSchema } from './find-prompt-schema.js';
import {
  isRecord,
  isRequestProblem,
  jsonObjectBody,
  optionalCount,
} from './internal/request-fields.js';
import { hashString } from './internal/rng.js';
import { textOf } from './internal/text-of.js';
import type { ChatRequest, ChatRequestProblem, ToolResult } from './parse-chat-request.js';
import type { ToolChoice, ToolSpec } from './plan-tool-calls.js';

/** What a Responses API answer echoes of its request, as OpenAI's response object does. */
export interface ResponsesEcho {
  readonly instructions: string | null;
  readonly max_output_tokens: number | null;
  readonly metadata: unknown;
  readonly parallel_tool_calls: boolean;
  readonly previous_response_id: string | null;
  readonly temperature: number;
  readonly text: unknown;
  readonly tool_choice: unknown;
  readonly tools: readonly unknown[];
  readonly top_p: number;
  readonly user: string | null;
}

/** A `POST /v1/responses` body as the mock acts on it: the chat request model plus what is its own. */
export interface ResponsesRequest extends ChatRequest {
  /** `previous_response_id`: its context (tokens) is prepended, if the mock produced it. */
  readonly previousResponseId: string | undefined;
  /** `store` (default true): remember this response for a later `previous_response_id`. */
  readonly store: boolean;
  readonly echo: ResponsesEcho;
}

// Responses content parts, as the chat token count knows them (it counts `text`, and images).
function chatPart(part: unknown): unknown {
  if (!isRecord(part)) return part;
  switch (part.type) {
    case 'input_image':
      return { type: 'image_url' };
    case 'input_file':
      return { type: 'file' };
    case 'refusal':
      return { type: 'text', text: part.refusal };
    default:
      return { type: 'text', text: part.text };
  }
}

/**
 * One input item as the chat message it amounts to, for the token count and the prefix cache: a
 * message stays a message, a `function_call` is an assistant tool call, a `function_call_output` a
 * tool message; other items (reasoning, …) count by their JSON.
 */
function itemAsMessage(
  item: Record<string, unknown>,
  i: number,
): { readonly message: unknown } | { readonly problem: ChatRequestProblem } {
  const type = item.type ?? (typeof item.role === 'string' ? 'message' : undefined);
  switch (type) {
    case 'message': {
      if (typeof item.role !== 'string') {
        return {
          problem: { message: `'input[${i}].role' must be a string.`, param: `input[${i}].role` },
        };
      }
      const content = Array.isArray(item.content) ? item.content.map(chatPart) : item.content;
      return { message: { role: item.role, content } };
    }
    case 'function_call':
      if (typeof item.name !== 'string' || typeof item.call_id !== 'string') {
        return {
          problem: {
            message: `'input[${i}]' (function_call) needs string 'name' and 'call_id'.`,
            param: `input[${i}]`,
          },
        };
      }
      return {
        message: {
          role: 'assistant',
          tool_calls: [
            { id: item.call_id, function: { name: item.name, arguments: item.arguments } },
          ],
        },
      };
    case 'function_call_output':
      if (typeof item.call_id !== 'string') {
        return {
          problem: {
            message: `'input[${i}].call_id' must be a string.`,
            param: `input[${i}].call_id`,
          },
        };
      }
      return {
        message: {
          role: 'tool',
          content: Array.isArray(item.output) ? item.output.map(chatPart) : item.output,
        },
      };
    default:
      if (typeof type !== 'string') {
        return {
          problem: {
            message: `'input[${i}]' must have a 'type' or a 'role'.`,
            param: `input[${i}]`,
          },
        };
      }
      return { message: { role: 'assistant', content: JSON.stringify(item) } };
  }
}

/**
 * Parses the body of `POST /v1/responses`: `input` as a string or items (messages, `function_call`,
 * `function_call_output`), `instructions`, function `tools` with `tool_choice`, `text.format`
 * (json_schema / json_object), `max_output_tokens`, `stream`, `previous_response_id`, `store`.
 * Prompt tokens are counted as for the chat completion the input amounts to.
 */
export function parseResponsesRequest(body: string): ResponsesRequest | ChatRequestProblem {
  const json = jsonObjectBody(body);
  if (isRequestProblem(json)) return json;
  const { input, instructions } = json;
  if (instructions !== undefined && instructions !== null && typeof instructions !== 'string') {
    return { message: "'instructions' must be a string.", param: 'instructions' };
  }
  const messages: unknown[] = [];
  if (typeof instructions === 'string') messages.push({ role: 'system', content: instructions });
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: input });
  } else if (Array.isArray(input) && input.length > 0) {
    for (const [i, item] of input.entries()) {
      if (!isRecord(item)) {
        return { message: `'input[${i}]' must be an object.`, param: `input[${i}]` };
      }
      const converted = itemAsMessage(item, i);
      if ('problem' in converted) return converted.problem;
      messages.push(converted.message);
    }
  } else {
    return { message: "'input' must be a string or a non-empty array.", param: 'input' };
  }
  const previous = json.previous_response_id;
  if (previous !== undefined && previous !== null && typeof previous !== 'string') {
    return { message: "'previous_response_id' must be a string.", param: 'previous_response_id' };
  }

  const prefixHashes: number[] = [];
  const prefixTokens: number[] = [];
  // A continued conversation's prefix starts with the response it continues.
  let hash = hashString(typeof previous === 'string' ? previous : '');
  let tokens = TOKENS_PER_REPLY;
  for (const message of messages) {
    hash = hashString(JSON.stringify(message), hash);
    tokens += estimateMessageTokens(message);
    prefixHashes.push(hash);
    prefixTokens.push(tokens);
  }
  const max = optionalCount(json.max_output_tokens);
  if (max === false) {
    return {
      message: "'max_output_tokens' must be a positive integer.",
      param: 'max_output_tokens',
    };
  }
  const tools = Array.isArray(json.tools) ? json.tools : [];
  const promptTokens =
    tokens + (tools.length > 0 ? Math.ceil(JSON.stringify(tools).length / 4) : 0);
  const choice = parseToolChoice(json.tool_choice, functionTools(tools));
  if ('message' in choice) return choice;
  const format = isRecord(json.text) && isRecord(json.text.format) ? json.text.format : undefined;
  const formatType = format?.type;
  const responseFormat =
    formatType === 'json_object' || formatType === 'json_schema' ? formatType : 'text';
  const toolResults = trailingToolResults(Array.isArray(input) ? input : []);
  return {
    stream: json.stream === true,
    includeUsage: true,
    maxTokens: max,
    tools: choice.tools,
    toolChoice: choice.toolChoice,
    parallelToolCalls: json.parallel_tool_calls !== false,
    endsWithToolResult: toolResults.length > 0,
    toolResults,
    responseFormat,
    schema:
      responseFormat === 'json_schema'
        ? format?.schema
        : responseFormat === 'json_object'
          ? findPromptSchema(messages)
          : undefined,
    promptTokens,
    prefixHashes,
    prefixTokens,
    contentSeed: hashString(body),
    previousResponseId: typeof previous === 'string' ? previous : undefined,
    store: json.store !== false,
    echo: {
      instructions: typeof instructions === 'string' ? instructions : null,
      max_output_tokens: max ?? null,
      metadata: isRecord(json.metadata) ? json.metadata : {},
      parallel_tool_calls: json.parallel_tool_calls !== false,
      previous_response_id: typeof previous === 'string' ? previous : null,
      temperature: typeof json.temperature === 'number' ? json.temperature : 1,
      text: isRecord(json.text) ? json.text : { format: { type: 'text' } },
      tool_choice: json.tool_choice ?? 'auto',
      tools,
      top_p: typeof json.top_p === 'number' ? json.top_p : 1,
      user: typeof json.user === 'string' ? json.user : null,
    },
  };
}

/** The function tools of `tools`, as Responses declares them (built-in tools are never called). */
function functionTools(tools: readonly unknown[]): ToolSpec[] {
  const out: ToolSpec[] = [];
  for (const tool of tools) {
    if (isRecord(tool) && tool.type === 'function' && typeof tool.name === 'string') {
      out.push({ name: tool.name, parameters: tool.parameters ?? undefined });
    }
  }
  return out;
}

/**
 * `tool_choice` as the Responses API takes it, checked as OpenAI checks it: a mode, a named
 * function (which must be offered), or `allowed_tools` narrowing the tools. Choices of built-in
 * tools count as `'auto'`: the mock runs none.
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
  const name = isRecord(choice) && choice.type === 'function' ? choice.name : undefined;
  if (choice === 'required' || typeof name === 'string') {
    if (tools.length === 0) {
      return {
        message: "Tool choice is only allowed when 'tools' are specified.",
        param: 'tool_choice',
      };
    }
    if (choice === 'required') return { tools, toolChoice: 'required' };
    if (!tools.some((t) => t.name === name)) {
      return {
        message: `Tool choice '${name}' not found in 'tools' parameter.`,
        param: 'tool_choice',
      };
    }
    return { tools, toolChoice: { name: name as string } };
  }
  if (isRecord(choice) && choice.type === 'allowed_tools' && Array.isArray(choice.tools)) {
    const names = new Set(choice.tools.map((t) => (isRecord(t) ? t.name : undefined)));
    return {
      tools: tools.filter((t) => names.has(t.name)),
      toolChoice: choice.mode === 'required' ? 'required' : 'auto',
    };
  }
  return { tools, toolChoice: 'auto' };
}

/**
 * The `function_call_output` items the input ends with, each named after the `function_call` with
 * its `call_id`.
 */
function trailingToolResults(items: readonly unknown[]): ToolResult[] {
  let first = items.length;
  while (first > 0) {
    const item = items[first - 1];
    if (!isRecord(item) || item.type !== 'function_call_output') break;
    first--;
  }
  if (first === items.length) return [];
  const names = new Map<unknown, string>();
  for (const item of items.slice(0, first)) {
    if (isRecord(item) && item.type === 'function_call' && typeof item.name === 'string') {
      names.set(item.call_id, item.name);
    }
  }
  return items.slice(first).map((item) => {
    const output = (item as Record<string, unknown>).output;
    return {
      name: names.get((item as Record<string, unknown>).call_id),
      content: textOf(output),
    };
  });
}
