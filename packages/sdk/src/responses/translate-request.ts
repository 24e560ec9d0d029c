import type { RouterChatParams } from '../call-types.js';
import { InvalidRequestError } from '../errors.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const given = (value: unknown) => value !== undefined && value !== null;

/** Why a Responses call cannot become a chat completion: the field, and what it needs. */
export interface NativeOnly {
  /** The body path at fault, e.g. `previous_response_id`, `tools[1].type`. */
  readonly field: string;
  readonly why: string;
}

/** A Responses API body, as the chat completion it amounts to. */
export interface TranslatedRequest {
  /** The chat completion body, when every field translates; else `undefined` (see `nativeOnly`). */
  readonly chat: RouterChatParams | undefined;
  /** The first field with no chat equivalent: only an endpoint that speaks Responses can take it. */
  readonly nativeOnly: NativeOnly | undefined;
  /** `input_image` parts, and the characters of their URLs (data URLs are big, and not prompt text). */
  readonly imageParts: number;
  readonly imageChars: number;
}

// Chat fields with the same name and meaning.
const SAME = [
  'temperature',
  'top_p',
  'parallel_tool_calls',
  'prompt_cache_key',
  'safety_identifier',
  'service_tier',
  'user',
] as const;

// Fields a translated call does without: what it would store or add has no chat equivalent, and
// dropping them changes nothing the caller gets back (metadata is echoed in the response).
const DROPPED = new Set([
  'store',
  'include',
  'stream_options',
  'metadata',
  'prompt_cache_retention',
  'prompt_cache_options',
]);

// Fields that need the endpoint's own state or machinery.
const STATEFUL: Record<string, string> = {
  previous_response_id: 'continues a response stored by the endpoint that produced it',
  conversation: 'refers to a conversation stored upstream',
  prompt: 'refers to a prompt template stored upstream',
  background: 'runs the response in the background upstream',
  context_management: 'asks the endpoint to manage the context itself',
  moderation: 'asks the endpoint to moderate the response',
};

/**
 * Translates an OpenAI Responses API body into the chat completion body the engine runs — pure,
 * no I/O. `input` (a string, or messages, `function_call` and `function_call_output` items) and
 * `instructions` become messages; function `tools`, `tool_choice`, `text.format` (json_schema /
 * json_object), `text.verbosity`, `max_output_tokens`, `reasoning.effort`, `top_logprobs` and the
 * sampling fields map to their chat twins; `reasoning` items are dropped (a chat model has no use
 * for another model's reasoning state). A field with no chat equivalent — `previous_response_id`,
 * built-in tools, `background`, … or any field this version does not know — is reported in
 * `nativeOnly` instead. A malformed body throws an `InvalidRequestError` naming the field.
 */
export function translateResponsesRequest(body: Json): TranslatedRequest {
  const t: Translation = new Translation();
  const chat: Json = {};
  for (const key of Object.keys(body)) {
    const value = body[key];
    if (!given(value) || key === 'input' || key === 'instructions') continue;
    if (key === 'model') {
      if (typeof value !== 'string') t.invalid('model', 'a string', value);
      chat.model = value;
    } else if (key === 'stream') {
      if (typeof value !== 'boolean') t.invalid('stream', 'a boolean', value);
      if (value) {
        chat.stream = true;
        // The Responses stream ends with the usage: ask for it.
        chat.stream_options = { include_usage: true };
      }
    } else if (key === 'max_output_tokens') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
        t.invalid('max_output_tokens', 'a positive integer', value);
      }
      chat.max_completion_tokens = value;
    } else if (key === 'tools') {
      chat.tools = t.tools(value);
    } else if (key === 'tool_choice') {
      chat.tool_choice = t.toolChoice(value);
    } else if (key === 'text') {
      Object.assign(chat, t.textConfig(value));
    } else if (key === 'reasoning') {
      if (!isObject(value)) t.invalid('reasoning', 'an object', value);
      if (given(value.effort)) chat.reasoning_effort = value.effort;
    } else if (key === 'top_logprobs') {
      chat.logprobs = true;
      chat.top_logprobs = value;
    } else if (key === 'truncation') {
      if (value === 'auto')
        t.native('truncation', "`'auto'` lets the endpoint drop input that does not fit");
    } else if (key === 'background') {
      if (value === true) t.native('background', STATEFUL.background as string);
    } else if ((SAME as readonly string[]).includes(key)) {
      chat[key] = value;
    } else if (Object.hasOwn(STATEFUL, key)) {
      t.native(key, STATEFUL[key] as string);
    } else if (!DROPPED.has(key)) {
      t.native(key, 'has no chat completions equivalent');
    }
  }
  if (Array.isArray(body.include) && body.include.includes('message.output_text.logprobs')) {
    chat.logprobs = true;
  }
  chat.messages = t.messages(body.instructions, body.input, given(body.previous_response_id));
  return {
    chat: t.nativeOnly ? undefined : (chat as unknown as RouterChatParams),
    nativeOnly: t.nativeOnly,
    imageParts: t.imageParts,
    imageChars: t.imageChars,
  };
}

class Translation {
  nativeOnly: NativeOnly | undefined;
  imageParts = 0;
  imageChars = 0;

  native(field: string, why: string): void {
    this.nativeOnly ??= { field, why };
  }

  invalid(field: string, expected: string, value: unknown): never {
    const got = Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
    throw new InvalidRequestError(
      `Failed to route the call: \`${field}\` must be ${expected}, got ${got}`,
      field,
    );
  }

  messages(instructions: unknown, input: unknown, continued: boolean): Json[] {
    const messages: Json[] = [];
    if (given(instructions)) {
      if (typeof instructions !== 'string') this.invalid('instructions', 'a string', instructions);
      messages.push({ role: 'system', content: instructions });
    }
    if (typeof input === 'string') {
      messages.push({ role: 'user', content: input });
    } else if (Array.isArray(input) && (input.length > 0 || continued)) {
      for (const [i, item] of input.entries()) this.item(messages, item, i);
    } else if (given(input) || !continued) {
      this.invalid('input', 'a string or a non-empty array of items', input);
    }
    return messages;
  }

  item(messages: Json[], item: unknown, i: number): void {
    const at = `input[${i}]`;
    if (!isObject(item)) this.invalid(at, 'an object', item);
    const type = item.type ?? (typeof item.role === 'string' ? 'message' : undefined);
    switch (type) {
      case 'message':
        messages.push(this.message(item, at));
        return;
      case 'function_call': {
        if (typeof item.call_id !== 'string')
          this.invalid(`${at}.call_id`, 'a string', item.call_id);
        if (typeof item.name !== 'string') this.invalid(`${at}.name`, 'a string', item.name);
        const call = {
          id: item.call_id,
          type: 'function',
          function: {
            name: item.name,
            arguments: typeof item.arguments === 'string' ? item.arguments : '',
          },
        };
        // Calls that follow an assistant turn belong to it: chat carries them on one message.
        const last = messages.at(-1);
        if (last?.role === 'assistant') {
          last.tool_calls = [...((last.tool_calls as unknown[]) ?? []), call];
        } else {
          messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        }
        return;
      }
      case 'function_call_output': {
        if (typeof item.call_id !== 'string')
          this.invalid(`${at}.call_id`, 'a string', item.call_id);
        messages.push({
          role: 'tool',
          tool_call_id: item.call_id,
          content: this.text(item.output, `${at}.output`),
        });
        return;
      }
      case 'reasoning':
        return; // the model's own state, for the endpoint that produced it: a chat model has no use for it
      default:
        if (typeof type !== 'string') this.invalid(`${at}.type`, 'a string', type);
        this.native(`${at}.type`, `\`${type}\` items have no chat completions equivalent`);
    }
  }

  message(item: Json, at: string): Json {
    const role = item.role;
    if (role !== 'user' && role !== 'system' && role !== 'developer' && role !== 'assistant') {
      this.invalid(`${at}.role`, "one of 'user', 'system', 'developer', 'assistant'", role);
    }
    const content = item.content;
    if (role === 'assistant') {
      // Earlier output handed back: text and refusal, as an assistant message carries them.
      if (typeof content === 'string') return { role, content };
      if (!Array.isArray(content)) this.invalid(`${at}.content`, 'a string or an array', content);
      let text: string | null = null;
      let refusal: string | undefined;
      for (const [j, part] of content.entries()) {
        const where = `${at}.content[${j}]`;
        if (!isObject(part)) this.invalid(where, 'an object', part);
        if (part.type === 'output_text' || part.type === 'input_text') {
          text = (text ?? '') + String(part.text ?? '');
        } else if (part.type === 'refusal') refusal = (refusal ?? '') + String(part.refusal ?? '');
        else
          this.native(
            `${where}.type`,
            `\`${String(part.type)}\` in an assistant message has no chat equivalent`,
          );
      }
      return refusal === undefined ? { role, content: text } : { role, content: text, refusal };
    }
    // `developer` is OpenAI's newer name for `system`; many OpenAI-compatible servers know only the
    // older one, and OpenAI treats them alike.
    const chatRole = role === 'developer' ? 'system' : role;
    if (typeof content === 'string') return { role: chatRole, content };
    if (!Array.isArray(content)) this.invalid(`${at}.content`, 'a string or an array', content);
    if (chatRole === 'system')
      return { role: chatRole, content: this.text(content, `${at}.content`) };
    return {
      role: chatRole,
      content: content.map((part, j) => this.part(part, `${at}.content[${j}]`)),
    };
  }

  part(part: unknown, where: string): Json {
    if (!isObject(part)) this.invalid(where, 'an object', part);
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        return { type: 'text', text: String(part.text ?? '') };
      case 'input_image': {
        this.imageParts++;
        if (typeof part.image_url !== 'string') {
          this.native(
            `${where}.file_id`,
            'an image by file id has no chat equivalent (give `image_url`)',
          );
          return {};
        }
        this.imageChars += part.image_url.length;
        const detail = part.detail === 'low' || part.detail === 'high' ? part.detail : 'auto';
        return { type: 'image_url', image_url: { url: part.image_url, detail } };
      }
      case 'input_file': {
        if (given(part.file_url)) {
          this.native(`${where}.file_url`, 'a file by URL has no chat equivalent');
          return {};
        }
        const file: Json = {};
        if (given(part.file_data)) file.file_data = part.file_data;
        if (given(part.file_id)) file.file_id = part.file_id;
        if (given(part.filename)) file.filename = part.filename;
        return { type: 'file', file };
      }
      default:
        this.native(
          `${where}.type`,
          `\`${String(part.type)}\` parts have no chat completions equivalent`,
        );
        return {};
    }
  }

  // Content that chat takes as text only (system messages, tool outputs).
  text(value: unknown, where: string): string {
    if (typeof value === 'string') return value;
    if (!Array.isArray(value)) this.invalid(where, 'a string or an array', value);
    let text = '';
    for (const [j, part] of value.entries()) {
      if (isObject(part) && (part.type === 'input_text' || part.type === 'output_text')) {
        text += String(part.text ?? '');
      } else {
        this.native(`${where}[${j}].type`, 'only text translates here');
      }
    }
    return text;
  }

  tools(value: unknown): Json[] {
    if (!Array.isArray(value)) this.invalid('tools', 'an array', value);
    return value.map((tool, i) => {
      const at = `tools[${i}]`;
      if (!isObject(tool)) this.invalid(at, 'an object', tool);
      if (tool.type !== 'function') {
        this.native(
          `${at}.type`,
          `\`${String(tool.type)}\` is a built-in tool the endpoint runs itself`,
        );
        return {};
      }
      if (typeof tool.name !== 'string') this.invalid(`${at}.name`, 'a string', tool.name);
      if (tool.defer_loading === true)
        this.native(`${at}.defer_loading`, 'tool search runs upstream');
      const fn: Json = { name: tool.name };
      if (given(tool.description)) fn.description = tool.description;
      if (given(tool.parameters)) fn.parameters = tool.parameters;
      if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
      return { type: 'function', function: fn };
    });
  }

  toolChoice(value: unknown): unknown {
    if (value === 'none' || value === 'auto' || value === 'required') return value;
    if (!isObject(value))
      this.invalid('tool_choice', "'none', 'auto', 'required' or an object", value);
    if (value.type === 'function' && typeof value.name === 'string') {
      return { type: 'function', function: { name: value.name } };
    }
    if (value.type === 'allowed_tools' && Array.isArray(value.tools)) {
      const tools = value.tools.map((tool, i) => {
        if (isObject(tool) && tool.type === 'function' && typeof tool.name === 'string') {
          return { type: 'function', function: { name: tool.name } };
        }
        this.native(`tool_choice.tools[${i}]`, 'only function tools translate');
        return {};
      });
      return { type: 'allowed_tools', allowed_tools: { mode: value.mode, tools } };
    }
    this.native('tool_choice.type', `\`${String(value.type)}\` has no chat completions equivalent`);
    return undefined;
  }

  textConfig(value: unknown): Json {
    if (!isObject(value)) this.invalid('text', 'an object', value);
    const out: Json = {};
    if (given(value.verbosity)) out.verbosity = value.verbosity;
    const format = value.format;
    if (!given(format)) return out;
    if (!isObject(format)) this.invalid('text.format', 'an object', format);
    if (format.type === 'json_object') out.response_format = { type: 'json_object' };
    else if (format.type === 'json_schema') {
      if (typeof format.name !== 'string')
        this.invalid('text.format.name', 'a string', format.name);
      const schema: Json = { name: format.name, schema: format.schema };
      if (given(format.description)) schema.description = format.description;
      if (typeof format.strict === 'boolean') schema.strict = format.strict;
      out.response_format = { type: 'json_schema', json_schema: schema };
    } else if (format.type !== 'text') {
      this.native(
        'text.format.type',
        `\`${String(format.type)}\` has no chat completions equivalent`,
      );
    }
    return out;
  }
}
