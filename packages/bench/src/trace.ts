import { readFileSync } from 'node:fs';

/** One request of a trace, as replayed: arrival offset and token counts. */
export interface TraceRequest {
  readonly index: number;
  /** Arrival, ms after the first request of the trace (real trace time). */
  readonly arrivalMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Mooncake only: prefix-block ids, 512 tokens each. */
  readonly hashIds?: readonly number[] | undefined;
}

export type TraceName = 'azure' | 'mooncake';

const files: Record<TraceName, string> = {
  azure: 'azure_llm_inference_2023_conv.csv',
  mooncake: 'mooncake_fast25_conversation.csv',
};

/** The copy of the traces shipped with the bench (see `traces/README.md` for attribution). */
export function tracePath(name: TraceName): string {
  return new URL(`../traces/${files[name]}`, import.meta.url).pathname;
}

/**
 * Reads a trace and keeps the requests that arrive within the first `windowMs` of it.
 *
 * Azure: `TIMESTAMP` (wall clock, one day) → ms after the first row.
 * Mooncake: `timestamp` is bucketed every ~3 s (about 10 requests share one value); the requests of
 * a bucket are spread evenly over the bucket (`bucketMs`), in trace order, so the replay does not
 * send a burst every 3 s.
 */
export function loadTrace(name: TraceName, windowMs: number): TraceRequest[] {
  const lines = readFileSync(tracePath(name), 'utf8').split('\n');
  const out: TraceRequest[] = [];
  if (name === 'azure') {
    let first: number | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]?.trim();
      if (!line) continue;
      const [ts, input, output] = line.split(',');
      const ms = clockMs(ts as string);
      first ??= ms;
      const arrivalMs = ms - first;
      if (arrivalMs >= windowMs) break;
      out.push({
        index: out.length,
        arrivalMs,
        inputTokens: Number(input),
        outputTokens: Number(output),
      });
    }
    return out;
  }
  const rows: { t: number; input: number; output: number; hashIds: number[] }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]?.trim();
    if (!line) continue;
    const [t, input, output, hashes] = line.split(',');
    const ts = Number(t);
    if (ts >= windowMs) break;
    rows.push({
      t: ts,
      input: Number(input),
      output: Number(output),
      hashIds: (hashes ?? '').split(' ').filter(Boolean).map(Number),
    });
  }
  // Spread each bucket over the gap to the next distinct timestamp (~3000 ms).
  let i = 0;
  while (i < rows.length) {
    const t = (rows[i] as (typeof rows)[number]).t;
    let j = i;
    while (j < rows.length && (rows[j] as (typeof rows)[number]).t === t) j++;
    const nextT = j < rows.length ? (rows[j] as (typeof rows)[number]).t : t + 3000;
    const gap = nextT - t;
    for (let k = i; k < j; k++) {
      const r = rows[k] as (typeof rows)[number];
      out.push({
        index: out.length,
        arrivalMs: t + ((k - i) * gap) / (j - i),
        inputTokens: r.input,
        outputTokens: r.output,
        hashIds: r.hashIds,
      });
    }
    i = j;
  }
  return out;
}

function clockMs(ts: string): number {
  // "2023-11-16 18:15:46.6805900": the trace spans one hour of one day.
  const time = ts.split(' ')[1] ?? '';
  const [h, m, s] = time.split(':');
  return (Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000;
}

// Deterministic filler text; slices of it make prompts of a given length.
const FILLER = (() => {
  const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor';
  let s = '';
  let n = 0;
  while (s.length < 600_000) s += `${words.split(' ')[n++ % 12]} `;
  return s;
})();

/** The mock counts a message as `ceil(chars(role + content) / 4) + 4` tokens, a request + 3. */
const PER_MESSAGE = 4;
const PER_REPLY = 3;
const ROLE = 'user';
/** Tokens of one Mooncake prefix block. */
export const BLOCK_TOKENS = 512;

/** Content of `chars` characters that starts with `tag` (so two tags never share a message). */
function text(tag: string, chars: number): string {
  if (chars <= tag.length) return tag.slice(0, Math.max(0, chars));
  return tag + FILLER.slice(0, chars - tag.length);
}

/** Characters of content that make a `user` message exactly `tokens` tokens by the mock's count. */
function contentChars(tokens: number): number {
  return Math.max(0, 4 * (tokens - PER_MESSAGE) - ROLE.length);
}

export type ChatMessage = { role: 'user'; content: string };

/**
 * The messages of a replayed request, `inputTokens` long by the mock's count (within 8 tokens for
 * the shortest prompts and the rare Mooncake row whose length leaves < 6 tokens for its last block).
 *
 * Azure: one user message, unique per request (no prefix sharing is known).
 * Mooncake: one user message per 512-token block; a block's text depends only on its id, so two
 * requests that share leading `hash_ids` send identical leading messages and the mock's prefix cache
 * (which hashes whole messages, chained) sees exactly the shared blocks. The last block carries the
 * remainder of `input_length`.
 */
export function buildMessages(r: TraceRequest, salt: string): ChatMessage[] {
  const ids = r.hashIds;
  if (!ids || ids.length === 0) {
    const tokens = r.inputTokens - PER_REPLY;
    return [{ role: ROLE, content: text(`[${salt} req ${r.index}] `, contentChars(tokens)) }];
  }
  const messages: ChatMessage[] = [];
  for (let b = 0; b < ids.length - 1; b++) {
    messages.push({ role: ROLE, content: text(`[block ${ids[b]}] `, contentChars(BLOCK_TOKENS)) });
  }
  const rest = r.inputTokens - PER_REPLY - BLOCK_TOKENS * (ids.length - 1);
  const last = ids[ids.length - 1];
  messages.push({ role: ROLE, content: text(`[block ${last}] `, contentChars(Math.max(6, rest))) });
  return messages;
}
