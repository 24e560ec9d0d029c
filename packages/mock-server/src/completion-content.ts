import { loremWord } from './internal/lorem.js';
import { mulberry32 } from './internal/rng.js';
import type { ChatRequest, ToolResult } from './parse-chat-request.js';
import { sampleFromSchema } from './sample-from-schema.js';

/** Characters of one tool result quoted in the answer at most (whitespace collapsed). */
const MAX_QUOTE_CHARS = 200;

/**
 * The words an answer starts with, one per output token: the endpoint's name (`edge-1:`), so a test
 * can see who served; after tool results, what each returned (`get_weather returned
 * {"temp":21}`), so the round trip shows in the text. Long results are cut to 200 characters.
 */
export function leadWords(toolResults: readonly ToolResult[], endpointId: string): string[] {
  const words = [`${endpointId}:`];
  toolResults.forEach((result, i) => {
    let quote = result.content.replace(/\s+/g, ' ').trim();
    if (quote.length > MAX_QUOTE_CHARS) quote = `${quote.slice(0, MAX_QUOTE_CHARS)}…`;
    const end = i === toolResults.length - 1 ? '' : ';';
    words.push(result.name ?? 'the tool', 'returned', ...`${quote || '(empty)'}${end}`.split(' '));
  });
  return words;
}

/**
 * The output of one completion as exactly `count` pieces, one per output token: the `lead` words,
 * then seeded lorem words. Deterministic from the request and seed. With `response_format`
 * json_object / json_schema the pieces join into valid JSON: an object valid against the schema
 * (`request.schema`, via {@link sampleFromSchema}, free-form strings holding the text), else
 * `{"answer": text}`.
 */
export function completionPieces(
  request: ChatRequest,
  count: number,
  lead: readonly string[],
  seed: number,
): string[] {
  const rng = mulberry32(request.contentSeed ^ seed);
  const words = lead.slice(0, count);
  while (words.length < count) words.push(loremWord(rng));
  if (request.responseFormat === 'text') return words.map((w, i) => (i === 0 ? w : ` ${w}`));
  const text = words.join(' ');
  const value =
    request.schema === undefined
      ? { answer: text }
      : sampleFromSchema(request.schema, { random: rng, text });
  return splitInto(JSON.stringify(value), count);
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
