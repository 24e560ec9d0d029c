import { textOf } from './internal/text-of.js';

type Schema = Record<string, unknown>;

const isRecord = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Brace-balanced candidates parsed per message at most: keeps a brace-heavy prompt linear. */
const MAX_CANDIDATES = 32;
/** How deep a parsed object is searched for `properties` (e.g. `{ "schema": { … } }`). */
const MAX_NESTING = 4;

/**
 * The JSON Schema a prompt asks for in words, as `response_format: json_object` callers do
 * ("Answer as JSON matching this schema: {…}"): the first JSON object that has a `properties`
 * object (itself, or nested up to 4 levels, e.g. `{ "name": …, "schema": { … } }`) in the text of
 * a system, developer or user message, the latest message first. Undefined when there is none.
 */
export function findPromptSchema(messages: readonly unknown[]): Schema | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (!isRecord(message)) continue;
    const { role } = message;
    if (role !== 'system' && role !== 'developer' && role !== 'user') continue;
    const schema = schemaIn(textOf(message.content));
    if (schema !== undefined) return schema;
  }
  return undefined;
}

function schemaIn(text: string): Schema | undefined {
  let from = 0;
  for (let tries = 0; tries < MAX_CANDIDATES; tries++) {
    const start = text.indexOf('{', from);
    if (start < 0) return undefined;
    const end = closingBrace(text, start);
    if (end < 0) {
      from = start + 1; // unbalanced: an inner `{` may still open a whole object
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.slice(start, end + 1));
    } catch {
      from = start + 1; // prose in braces, e.g. `{"answer": string}`: look inside
      continue;
    }
    const schema = withProperties(parsed, 0);
    if (schema !== undefined) return schema;
    from = end + 1;
  }
  return undefined;
}

/** Index of the `}` that closes the `{` at `start` (strings skipped), or -1. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */ && --depth === 0) return i;
  }
  return -1;
}

function withProperties(value: unknown, nesting: number): Schema | undefined {
  if (!isRecord(value) || nesting > MAX_NESTING) return undefined;
  if (isRecord(value.properties)) return value;
  for (const inner of Object.values(value)) {
    const schema = withProperties(inner, nesting + 1);
    if (schema !== undefined) return schema;
  }
  return undefined;
}
