import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MockServer, startMockServer } from '@tiered/mock-server';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AllAttemptsFailedError,
  createRouter,
  type Router,
  type RouterEventName,
  StreamInterruptedError,
  type TieredError,
} from '../src/index.js';

/**
 * Endpoints that answer garbage: real `node:http` servers on 127.0.0.1, port 0 (no msw here). Each
 * answer must end in a typed error with a stable code, or a failover to a healthy endpoint when
 * there is one — never a crash, a hang, or a wrong answer passed off as right.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Fake {
  readonly baseURL: string;
  hits: number;
  close(): Promise<void>;
}

async function startFake(handler: Handler): Promise<Fake> {
  const server = createServer((req, res) => {
    fake.hits++;
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: Fake = {
    baseURL: `http://127.0.0.1:${port}/v1`,
    hits: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-x',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'bad-model',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;

const completion = (content: string) =>
  JSON.stringify({
    id: 'chatcmpl-x',
    object: 'chat.completion',
    created: 0,
    model: 'bad-model',
    choices: [
      { index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
  });

function sse(res: ServerResponse, ...parts: string[]) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const p of parts) res.write(p);
  res.end();
}

let fake: Fake | undefined;
let mock: MockServer | undefined;
let router: Router | undefined;
let events: Array<[RouterEventName, Record<string, unknown>]> = [];
afterEach(async () => {
  await router?.close();
  await fake?.close();
  await mock?.close();
  router = undefined;
  fake = undefined;
  mock = undefined;
  events = [];
});

/** A router over the fake endpoint, plus a healthy mock origin when `fallback`. */
async function setup(handler: Handler, fallback: boolean, firstTokenFloorMs = 500) {
  fake = await startFake(handler);
  const endpoints = [
    { id: 'bad', tier: 'edge', baseURL: fake.baseURL, model: 'bad-model', contextWindow: 8192 },
  ];
  if (fallback) {
    mock = await startMockServer({
      seed: 1,
      endpoints: [{ id: 'origin', model: 'origin-model', contextWindow: 128_000, jitter: 0 }],
    });
    endpoints.push({
      id: 'origin',
      tier: 'origin',
      baseURL: mock.endpoint('origin').baseURL,
      model: 'origin-model',
      contextWindow: 128_000,
    });
  }
  router = createRouter({
    endpoints,
    probes: false,
    timeouts: { firstTokenFloorMs, stallMs: 500, totalMs: 10_000 },
    priors: { ttftMs: 10, rttMs: 1, timePerOutputTokenMs: 1 },
    retry: { retries: 0 },
  });
  for (const name of ['attempt:error', 'request:end', 'request:error'] as const) {
    router.on(name, (p) => events.push([name, p as unknown as Record<string, unknown>]));
  }
  return router;
}

const body = { messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 4 };

async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

/** Runs a call (streamed to its end when `stream`), returns its text or its error. */
async function call(r: Router, stream: boolean): Promise<{ text?: string; error?: unknown }> {
  try {
    if (!stream) {
      const c = await r.chat.completions.create(body);
      return { text: c.choices[0]?.message?.content ?? '' };
    }
    const chunks = await collect(await r.chat.completions.create({ ...body, stream: true }));
    return { text: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('') };
  } catch (error) {
    return { error };
  }
}

const failures = () => events.filter(([n]) => n === 'attempt:error').map(([, p]) => p.failure);

// Answers that are wrong before any content reached the caller: the router fails over.
const beforeFirstToken: Array<[string, boolean, Handler, string]> = [
  [
    'an HTML error page (502 text/html)',
    false,
    (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    },
    'server',
  ],
  [
    'invalid JSON with 200',
    false,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": "chatcmpl-x", "choices": [');
    },
    'bad_response',
  ],
  [
    'a 200 with an {"error": …} body',
    false,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'model overloaded', type: 'server_error' } }));
    },
    'server',
  ],
  [
    'plain text with 200 (text/plain)',
    false,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('Hello! I am a model.');
    },
    'bad_response',
  ],
  [
    'a 200 JSON object without choices',
    false,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'x', object: 'chat.completion' }));
    },
    'bad_response',
  ],
  ['a connection closed without any response', false, (req) => req.socket.destroy(), 'connection'],
  [
    'a JSON body cut short (content-length larger than sent)',
    false,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
      res.write('{"id":"chatcmpl-x","choices":[');
      setTimeout(() => res.socket?.destroy(), 5);
    },
    'connection',
  ],
  [
    'JSON when a stream was asked for',
    true,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(completion('not a stream'));
    },
    'bad_response',
  ],
  [
    'an SSE stream that ends cleanly before any token, without [DONE]',
    true,
    (_req, res) => sse(res, chunk({ role: 'assistant', content: '' })),
    'connection',
  ],
  [
    'an SSE error event before the first token',
    true,
    (_req, res) =>
      sse(res, `data: ${JSON.stringify({ error: { message: 'overloaded', code: 503 } })}\n\n`),
    'server',
  ],
  [
    'an SSE chunk without choices before the first token',
    true,
    (_req, res) => sse(res, `data: ${JSON.stringify({ id: 'x', object: 'x' })}\n\n`),
    'bad_response',
  ],
  [
    'an SSE garbled line before the first token',
    true,
    (_req, res) => sse(res, 'data: {"choices": [tru\n\n'),
    'bad_response',
  ],
  [
    'SSE headers and then nothing (hangs before the first token)',
    true,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': keep-alive\n\n');
    },
    'timeout',
  ],
];

describe('malformed answers before the first token', () => {
  for (const [name, stream, handler, failure] of beforeFirstToken) {
    it(`${name}: fails over to a healthy endpoint`, async () => {
      const r = await setup(handler, true, 300);
      const { text, error } = await call(r, stream);
      expect(error).toBeUndefined();
      expect(text).toMatch(/^origin:/);
      expect(failures()).toEqual([failure]);
      expect(fake?.hits).toBe(1);
    });

    it(`${name}: without a fallback, ends in AllAttemptsFailedError (${failure})`, async () => {
      const r = await setup(handler, false, 300);
      const { error } = await call(r, stream);
      expect(error).toBeInstanceOf(AllAttemptsFailedError);
      const e = error as AllAttemptsFailedError;
      expect(e.code).toBe('all_attempts_failed');
      expect(e.attempts.map((a) => a.failure)).toEqual([failure]);
      expect(e.attempts[0]?.endpointId).toBe('bad');
      expect(events.map(([n]) => n)).toContain('request:error');
    });
  }
});

// After the first content token reached the caller, a broken stream cannot fail over: it must
// throw a StreamInterruptedError, never end as if complete.
const midStream: Array<[string, Handler, StreamInterruptedError['reason']]> = [
  [
    'an SSE stream that ends cleanly without [DONE]',
    (_req, res) => sse(res, chunk({ role: 'assistant', content: 'Hel' }), chunk({ content: 'lo' })),
    'incomplete',
  ],
  [
    'an SSE `data: {"error": …}` mid-stream',
    (_req, res) =>
      sse(
        res,
        chunk({ role: 'assistant', content: 'Hel' }),
        `data: ${JSON.stringify({ error: { message: 'engine crashed', type: 'server_error' } })}\n\n`,
      ),
    'upstream_error',
  ],
  [
    'a chunk without choices mid-stream',
    (_req, res) =>
      sse(
        res,
        chunk({ role: 'assistant', content: 'Hel' }),
        `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk' })}\n\n`,
      ),
    'malformed',
  ],
  [
    'a garbled line mid-stream',
    (_req, res) => sse(res, chunk({ role: 'assistant', content: 'Hel' }), 'data: {"choi\n\n'),
    'malformed',
  ],
  [
    'a connection cut mid-stream',
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: 'Hel' }));
      setTimeout(() => res.socket?.destroy(), 10);
    },
    'disconnect',
  ],
];

describe('malformed answers after the first token', () => {
  for (const [name, handler, reason] of midStream) {
    for (const fallback of [false, true]) {
      it(`${name}: StreamInterruptedError (${reason})${fallback ? ', even with a fallback' : ''}`, async () => {
        const r = await setup(handler, fallback);
        const stream = await r.chat.completions.create({ ...body, stream: true });
        const seen: ChatCompletionChunk[] = [];
        const error = await (async () => {
          for await (const c of stream) seen.push(c);
        })().catch((e) => e);
        expect(error).toBeInstanceOf(StreamInterruptedError);
        expect(error.code).toBe('stream_interrupted');
        expect(error.reason).toBe(reason);
        expect(error.endpointId).toBe('bad');
        expect(seen.map((c) => c.choices[0]?.delta?.content).join('')).toMatch(/^Hel/);
        expect(seen.some((c) => c.choices[0]?.finish_reason)).toBe(false);
        expect(events.map(([n]) => n)).toContain('request:error');
        expect(events.map(([n]) => n)).not.toContain('request:end');
        expect(r.stats().endpoints[0]?.inFlight).toBe(0);
      });
    }
  }

  // Bug: tracked-attempt.ts, the stream's onSettle, classifies every broken stream but a stall as
  // failure 'connection' (`reason === 'stall' ? 'stall' : 'connection'`), so a garbled chunk or an
  // error event mid-stream reaches attempt:error and the health signals as a network failure,
  // not 'bad_response' / 'server'.
  it('a garbled line mid-stream is reported as attempt:error failure bad_response', async () => {
    const r = await setup(
      (_req, res) => sse(res, chunk({ role: 'assistant', content: 'Hel' }), 'data: {"choi\n\n'),
      false,
    );
    await call(r, true);
    expect(failures()).toEqual(['bad_response']);
  });
});

describe('odd but acceptable answers', () => {
  it('a valid completion served as text/plain is accepted (the body is what counts)', async () => {
    const r = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(completion('bad: fine'));
    }, false);
    const { text, error } = await call(r, false);
    expect(error).toBeUndefined();
    expect(text).toBe('bad: fine');
  });

  it.each([
    ['with a content-length', false],
    ['chunked, no length given', true],
  ])(
    'a 50 MB non-stream answer (%s) is refused as bad_response, fast, without reading it all',
    async (_name, chunked) => {
      const content = 'x'.repeat(50 * 1024 * 1024);
      const big = completion(content);
      const r = await setup(
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          if (chunked) {
            res.write(big.slice(0, 1024));
            res.end(big.slice(1024));
          } else {
            res.end(big);
          }
        },
        false,
        10_000,
      );
      const started = performance.now();
      const { error } = await call(r, false);
      expect(error).toBeInstanceOf(AllAttemptsFailedError);
      expect(failures()[0]).toBe('bad_response');
      expect((error as TieredError).message).toMatch(/larger than 33554432 bytes/);
      expect(performance.now() - started).toBeLessThan(8_000);
    },
  );

  it('a huge SSE error body (1 MB 500) is read only in part and summarised', async () => {
    const r = await setup((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('e'.repeat(1024 * 1024));
    }, false);
    const { error } = await call(r, true);
    expect(error).toBeInstanceOf(AllAttemptsFailedError);
    expect((error as TieredError).message.length).toBeLessThan(1_000);
  });
});
