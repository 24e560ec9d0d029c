import { sampleFromSchema } from './sample-from-schema.js';

/** A function tool a request offers: its name and the JSON Schema of its arguments. */
export interface ToolSpec {
  readonly name: string;
  /** `function.parameters`; undefined when the tool takes none. */
  readonly parameters: unknown;
}

/** `tool_choice`, normalized: a mode, or the one function the request forces. */
export type ToolChoice = 'auto' | 'none' | 'required' | { readonly name: string };

/** What {@link planToolCalls} reads of a request (chat completions or responses alike). */
export interface ToolCallRequest {
  /** Function tools offered (with `allowed_tools`, only the allowed ones). */
  readonly tools: readonly ToolSpec[];
  readonly toolChoice: ToolChoice;
  /** `parallel_tool_calls`; OpenAI's default is true. */
  readonly parallelToolCalls: boolean;
  /** The conversation ends with tool results: a model answers those in text, unless forced. */
  readonly endsWithToolResult: boolean;
}

/** Options of {@link planToolCalls}. */
export interface PlanToolCallsOptions {
  /** Chance of calling tools under `tool_choice: 'auto'`, 0..1 (the profile's `toolCallRate`). */
  readonly toolCallRate: number;
  /** Uniform source in [0, 1), seeded, so the same request gets the same calls. */
  readonly random: () => number;
}

/** One tool call to answer with. */
export interface PlannedToolCall {
  readonly name: string;
  /** The arguments as JSON text: an object valid against the tool's parameters schema. */
  readonly arguments: string;
}

/** Most calls in one answer when parallel tool calls are allowed. */
export const MAX_PARALLEL_TOOL_CALLS = 3;

/**
 * The tool calls a model makes for a request, or none (it answers in text). Pure.
 *
 * - `tool_choice` `'none'`, or no tools: none.
 * - A named function: exactly one call of it.
 * - `'required'`: always; `'auto'` (the default): with probability `toolCallRate`, and never when
 *   the conversation ends with tool results (a model answers those in text).
 * - How many: one to {@link MAX_PARALLEL_TOOL_CALLS} distinct tools (a uniform, seeded count) when
 *   `parallel_tool_calls` is not false and several tools are offered, else one; which tools is
 *   seeded too.
 * - Arguments: {@link sampleFromSchema} of the tool's `parameters`, always a JSON object.
 *
 * One uniform decides whether to call under `'auto'`, drawn even when forced, so changing the rate
 * or the choice never shifts which tools and arguments a request gets.
 */
export function planToolCalls(
  request: ToolCallRequest,
  options: PlanToolCallsOptions,
): PlannedToolCall[] {
  const { tools, toolChoice } = request;
  const { random } = options;
  if (tools.length === 0 || toolChoice === 'none') return [];
  const call = (tool: ToolSpec): PlannedToolCall => ({
    name: tool.name,
    arguments: JSON.stringify(argumentsFor(tool, random)),
  });
  if (typeof toolChoice === 'object') {
    const tool = tools.find((t) => t.name === toolChoice.name);
    return [call(tool ?? { name: toolChoice.name, parameters: undefined })];
  }
  const draw = random();
  if (toolChoice === 'auto' && (request.endsWithToolResult || draw >= options.toolCallRate)) {
    return [];
  }
  const most = request.parallelToolCalls ? Math.min(tools.length, MAX_PARALLEL_TOOL_CALLS) : 1;
  const n = 1 + Math.floor(random() * most);
  // A partial Fisher–Yates shuffle: n distinct tools, seeded.
  const order = tools.map((_, i) => i);
  const calls: PlannedToolCall[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (order.length - i));
    const picked = order[j] ?? i;
    order[j] = order[i] ?? j;
    order[i] = picked;
    const tool = tools[picked];
    if (tool !== undefined) calls.push(call(tool));
  }
  return calls;
}

function argumentsFor(tool: ToolSpec, random: () => number): unknown {
  if (tool.parameters === undefined) return {};
  const value = sampleFromSchema(tool.parameters, { random });
  // Arguments are a JSON object whatever the schema's root says: clients parse them as one.
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}
