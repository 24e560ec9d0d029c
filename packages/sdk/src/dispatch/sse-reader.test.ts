import { describe, expect, it } from 'vitest';
import { failureFromResponse, parseOpenAIError } from './failure-from-response.js';
import { SseReader } from './sse-reader.js';

async function* readSseData(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = new SseReader(stream);
  try {
    for (let data = await reader.read(); data !== undefined; data = await reader.read()) yield data;
  } finally {
    reader.cancel();
  }
}

/** A body that delivers each piece in its own read. */
function body(...pieces: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const p of pieces) controller.enqueue(typeof p === 'string' ? encoder.encode(p) : p);
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const data of readSseData(stream)) out.push(data);
  return out;
}

describe('SseReader', () => {
  it('yields the data of each event, [DONE] included', async () => {
    const events = await collect(body('data: {"a":1}\n\ndata: {"a":2}\n\ndata: [DONE]\n\n'));
    expect(events).toEqual(['{"a":1}', '{"a":2}', '[DONE]']);
  });

  it('joins events split across reads, anywhere', async () => {
    const text = 'data: {"id":"c1","x":"hello"}\n\ndata: {"id":"c2"}\n\ndata: [DONE]\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const events = await collect(body(text.slice(0, cut), text.slice(cut)));
      expect(events).toEqual(['{"id":"c1","x":"hello"}', '{"id":"c2"}', '[DONE]']);
    }
  });

  it('handles one byte per read, a multi-byte character split between reads', async () => {
    const bytes = new TextEncoder().encode('data: {"t":"café 🙂"}\n\ndata: [DONE]\n\n');
    const pieces = Array.from(bytes, (b) => new Uint8Array([b]));
    expect(await collect(body(...pieces))).toEqual(['{"t":"café 🙂"}', '[DONE]']);
  });

  it('accepts \\r\\n line endings', async () => {
    const events = await collect(body('data: one\r\n\r\ndata: two\r\n\r\ndata: [DONE]\r\n\r\n'));
    expect(events).toEqual(['one', 'two', '[DONE]']);
  });

  it('accepts \\r line endings', async () => {
    expect(await collect(body('data: one\r\rdata: two\r\r'))).toEqual(['one', 'two']);
  });

  it('accepts \\r\\n endings split between reads at an event boundary', async () => {
    expect(await collect(body('data: one\r\n\r', '\ndata: two\r\n\r\n'))).toEqual(['one', 'two']);
  });

  // Bug: sse.ts:19 turns `\r` into `\n` per read, so a `\r\n` split between two reads becomes
  // `\n` + `\n`: a blank line, an event boundary that is not there. A multi-line event from a
  // server that ends lines with `\r\n` (sse-starlette's default) is split in two.
  it('accepts a \\r\\n line ending split between reads inside an event', async () => {
    expect(await collect(body('data: a\r', '\ndata: b\r\n\r\n'))).toEqual(['a\nb']);
  });

  it('joins multi-line data with \\n', async () => {
    const events = await collect(body('data: line 1\ndata: line 2\ndata:line 3\n\n'));
    expect(events).toEqual(['line 1\nline 2\nline 3']);
  });

  it('removes one space after the colon, no more', async () => {
    expect(await collect(body('data:  two spaces\n\ndata:none\n\n'))).toEqual([
      ' two spaces',
      'none',
    ]);
  });

  it('ignores comments, event:, id: and retry: lines, and events without data', async () => {
    const events = await collect(
      body(
        ': keep-alive\n\n',
        'event: completion\nid: 7\nretry: 1000\ndata: {"a":1}\n\n',
        ': OPENROUTER PROCESSING\n\n',
        'event: ping\n\n',
        'data: [DONE]\n\n',
      ),
    );
    expect(events).toEqual(['{"a":1}', '[DONE]']);
  });

  it('yields a last event that has no trailing blank line', async () => {
    expect(await collect(body('data: {"a":1}\n\ndata: [DONE]'))).toEqual(['{"a":1}', '[DONE]']);
    expect(await collect(body('data: {"a":1}\n\ndata: [DONE]\n'))).toEqual(['{"a":1}', '[DONE]']);
  });

  it('yields nothing for an empty body, and an empty string for an empty data line', async () => {
    expect(await collect(body())).toEqual([]);
    expect(await collect(body('data:\n\n'))).toEqual(['']);
  });

  it('ends without [DONE] when the body is cut, so the caller can tell', async () => {
    const events = await collect(body('data: {"a":1}\n\ndata: {"a":'));
    expect(events).toEqual(['{"a":1}', '{"a":']);
    expect(events).not.toContain('[DONE]');
  });

  it('hands out a burst of events from one read without waiting', async () => {
    const reader = new SseReader(body('data: a\n\ndata: b\n\ndata: c\n\n'));
    expect(reader.take()).toBeUndefined(); // nothing read yet
    expect(await reader.read()).toBe('a');
    expect(reader.take()).toBe('b');
    expect(reader.take()).toBe('c');
    expect(await reader.read()).toBeUndefined();
  });

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const data of readSseData(stream)) {
      expect(data).toBe('1');
      break;
    }
    expect(cancelled).toBe(true);
  });

  it('passes on an error of the body', async () => {
    let n = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (n++ === 0) controller.enqueue(new TextEncoder().encode('data: 1\n\n'));
        else controller.error(new Error('socket hang up'));
      },
    });
    const seen: string[] = [];
    await expect(async () => {
      for await (const data of readSseData(stream)) seen.push(data);
    }).rejects.toThrow('socket hang up');
    expect(seen).toEqual(['1']);
  });
});

function openAIError(status: number, error: Record<string, unknown>, headers?: HeadersInit) {
  return new Response(JSON.stringify({ error }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

const contextMessage =
  "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens " +
  '(8500 in the messages, 500 in the completion). Please reduce the length of the messages or completion.';

describe('failureFromResponse', () => {
  it('classifies a 400 context_length_exceeded, with the prompt tokens the endpoint counted', async () => {
    const res = openAIError(400, {
      message: contextMessage,
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    });
    const f = await failureFromResponse(res, 'edge-nyc', 60_000);
    expect(f.failure).toBe('context_length');
    expect(f.retryable).toBe(true);
    expect(f.status).toBe(400);
    expect(f.reportedPromptTokens).toBe(8500);
    expect(f.upstreamCode).toBe('context_length_exceeded');
    expect(f.type).toBe('invalid_request_error');
    expect(f.param).toBe('messages');
    expect(f.message).toContain('edge-nyc');
    expect(f.message).toContain('maximum context length');
  });

  it('recognises a context-length 400 by its message alone (vLLM)', async () => {
    const res = openAIError(400, {
      message:
        "This model's maximum context length is 4096 tokens. However, your request has 5000 input tokens.",
      type: 'BadRequestError',
      code: 400,
    });
    const f = await failureFromResponse(res, 'edge-1', 60_000);
    expect(f.failure).toBe('context_length');
    expect(f.reportedPromptTokens).toBe(5000);
    expect(f.upstreamCode).toBe('400');
  });

  it('leaves reportedPromptTokens undefined when the message has no count', async () => {
    const res = openAIError(400, { message: 'too long', code: 'context_length_exceeded' });
    const f = await failureFromResponse(res, 'edge-1', 60_000);
    expect(f.failure).toBe('context_length');
    expect(f.reportedPromptTokens).toBeUndefined();
  });

  it.each([401, 403, 404])('classifies %i as a misconfigured endpoint', async (status) => {
    const res = openAIError(status, {
      message: 'Incorrect API key provided',
      code: 'invalid_api_key',
    });
    const f = await failureFromResponse(res, 'origin', 60_000);
    expect(f.failure).toBe('misconfigured');
    expect(f.status).toBe(status);
    expect(f.message).toContain('origin');
    expect(f.message).toContain(String(status));
  });

  it('classifies a 429 as rate limited and honours Retry-After in seconds', async () => {
    const res = openAIError(429, { message: 'Rate limit reached' }, { 'retry-after': '2' });
    const f = await failureFromResponse(res, 'origin', 60_000);
    expect(f.failure).toBe('rate_limited');
    expect(f.retryable).toBe(true);
    expect(f.retryAfterMs).toBe(2_000);
  });

  it('caps Retry-After at maxRetryAfterMs', async () => {
    const res = openAIError(429, { message: 'slow down' }, { 'retry-after': '3600' });
    expect((await failureFromResponse(res, 'origin', 60_000)).retryAfterMs).toBe(60_000);
    const res2 = openAIError(429, { message: 'slow down' }, { 'retry-after': '2' });
    expect((await failureFromResponse(res2, 'origin', 500)).retryAfterMs).toBe(500);
  });

  it('prefers retry-after-ms over retry-after', async () => {
    const res = openAIError(429, {}, { 'retry-after-ms': '1500', 'retry-after': '9' });
    expect((await failureFromResponse(res, 'origin', 60_000)).retryAfterMs).toBe(1_500);
  });

  it('reads an HTTP-date Retry-After', async () => {
    const at = new Date(Date.now() + 10_000).toUTCString();
    const res = openAIError(429, {}, { 'retry-after': at });
    const ms = (await failureFromResponse(res, 'origin', 60_000)).retryAfterMs as number;
    expect(ms).toBeGreaterThan(5_000);
    expect(ms).toBeLessThanOrEqual(10_000);
  });

  it('has no retryAfterMs without the header, or with a garbled one', async () => {
    expect(
      (await failureFromResponse(openAIError(429, {}), 'o', 60_000)).retryAfterMs,
    ).toBeUndefined();
    const res = openAIError(429, {}, { 'retry-after': 'soon' });
    expect((await failureFromResponse(res, 'o', 60_000)).retryAfterMs).toBeUndefined();
  });

  it.each([500, 502, 503, 504, 408, 409])(
    'classifies %i as a retryable server failure',
    async (status) => {
      const f = await failureFromResponse(
        openAIError(status, { message: 'oops' }),
        'edge-1',
        60_000,
      );
      expect(f.failure).toBe('server');
      expect(f.retryable).toBe(true);
      expect(f.status).toBe(status);
    },
  );

  it('honours Retry-After on a 503', async () => {
    const res = openAIError(503, { message: 'overloaded' }, { 'retry-after': '1' });
    expect((await failureFromResponse(res, 'edge-1', 60_000)).retryAfterMs).toBe(1_000);
  });

  it.each([400, 422, 413])('classifies any other %i as the caller’s error', async (status) => {
    const res = openAIError(status, {
      message: "Invalid value for 'temperature'",
      type: 'invalid_request_error',
      param: 'temperature',
      code: 'invalid_value',
    });
    const f = await failureFromResponse(res, 'edge-1', 60_000);
    expect(f.failure).toBe('client');
    expect(f.retryable).toBe(false);
    expect(f.param).toBe('temperature');
    expect(f.upstreamCode).toBe('invalid_value');
    expect(f.message).toContain("Invalid value for 'temperature'");
  });

  it('tolerates an HTML error page', async () => {
    const html =
      '<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n';
    const res = new Response(html, { status: 502, headers: { 'content-type': 'text/html' } });
    const f = await failureFromResponse(res, 'edge-1', 60_000);
    expect(f.failure).toBe('server');
    expect(f.message).toContain('502 Bad Gateway');
    expect(f.message).not.toContain('\n');
    expect(f.upstreamCode).toBeUndefined();
  });

  it('tolerates an empty body', async () => {
    const f = await failureFromResponse(new Response(null, { status: 401 }), 'edge-1', 60_000);
    expect(f.failure).toBe('misconfigured');
    expect(f.message).toContain('401');
  });

  it('keeps the message short for a huge error body', async () => {
    const res = openAIError(500, { message: 'x'.repeat(100_000) });
    const f = await failureFromResponse(res, 'edge-1', 60_000);
    expect(f.failure).toBe('server');
    expect(f.message.length).toBeLessThan(500);
  });

  // Bug: parseOpenAIError (classify-response.ts:86–90) falls back to the parsed body when there is
  // no `error` field and then reads `o.message`; for a body of `null` that is a TypeError. The
  // router then classifies a plain 401/400/500 with body `null` as a network failure.
  it('tolerates a JSON null body', async () => {
    const f = await failureFromResponse(new Response('null', { status: 401 }), 'edge-1', 60_000);
    expect(f.failure).toBe('misconfigured');
  });
});

describe('parseOpenAIError', () => {
  it('reads OpenAI’s error object', () => {
    const text = JSON.stringify({
      error: { message: 'Bad', type: 'invalid_request_error', code: 'x', param: 'model' },
    });
    expect(parseOpenAIError(text)).toEqual({
      message: 'Bad',
      type: 'invalid_request_error',
      code: 'x',
      param: 'model',
    });
  });

  it('reads an error given as a string, or fields at the top level', () => {
    expect(parseOpenAIError('{"error":"model not found"}').message).toBe('model not found');
    expect(parseOpenAIError('{"message":"Bad gateway","code":502}')).toMatchObject({
      message: 'Bad gateway',
      code: '502',
    });
  });

  it('returns the text itself, whitespace collapsed, when it is not JSON', () => {
    expect(parseOpenAIError('upstream\n  connect error')).toEqual({
      message: 'upstream connect error',
      type: undefined,
      code: undefined,
      param: undefined,
    });
    expect(parseOpenAIError('x'.repeat(1_000)).message).toHaveLength(200);
  });

  it('returns nothing for an empty body or JSON without error fields', () => {
    expect(parseOpenAIError('').message).toBeUndefined();
    expect(parseOpenAIError('[1,2]').message).toBeUndefined();
    expect(parseOpenAIError('{"error":{"message":42}}').message).toBe('42');
    expect(parseOpenAIError('{"error":{"message":{"nested":true}}}').message).toBeUndefined();
  });
});
