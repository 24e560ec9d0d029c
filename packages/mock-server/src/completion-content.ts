import { mulberry32 } from './internal/rng.js';
import type { ChatRequest } from './parse-chat-request.js';

const WORDS = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut ' +
  'labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris ' +
  'nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse'
).split(' ');

/**
 * The output of one completion as exactly `count` pieces, one per output token. Deterministic from
 * the request and seed; the first piece names the endpoint (`edge-1:`), so a test can see who served.
 * With `response_format` json_object / json_schema the pieces join into valid JSON.
 */
export function completionPieces(
  request: ChatRequest,
  count: number,
  endpointId: string,
  seed: number,
): string[] {
  const rng = mulberry32(request.contentSeed ^ seed);
  const words = [`${endpointId}:`];
  for (let i = 1; i < count; i++) words.push(WORDS[Math.floor(rng() * WORDS.length)] ?? 'lorem');
  if (request.responseFormat === 'text') return words.map((w, i) => (i === 0 ? w : ` ${w}`));
  const text = jsonContent(request.schema, words.join(' '));
  return splitInto(text, count);
}

function jsonContent(schema: unknown, text: string): string {
  const properties =
    typeof schema === 'object' && schema !== null
      ? (schema as { properties?: unknown }).properties
      : undefined;
  if (typeof properties !== 'object' || properties === null)
    return JSON.stringify({ answer: text });
  // Fill each declared property with a value of its type, so simple schemas are satisfied.
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(properties)) {
    const type =
      typeof def === 'object' && def !== null ? (def as { type?: unknown }).type : 'string';
    out[name] =
      type === 'number' || type === 'integer'
        ? 0
        : type === 'boolean'
          ? true
          : type === 'array'
            ? []
            : type === 'object'
              ? {}
              : type === 'null'
                ? null
                : text;
  }
  return JSON.stringify(out);
}

/** Splits `text` into `count` non-empty pieces (fewer only when the text is shorter). */
function splitInto(text: string, count: number): string[] {
  const n = Math.max(1, Math.min(count, text.length));
  const pieces: string[] = [];
  for (let i = 0; i < n; i++) {
    pieces.push(
      text.slice(Math.floor((i * text.length) / n), Math.floor(((i + 1) * text.length) / n)),
    );
  }
  return pieces;
}
