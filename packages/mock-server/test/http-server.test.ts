import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  RateLimitError,
} from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EndpointProfile,
  type MockServer,
  startMockServer,
  type Topology,
} from '../src/index.js';

let server: MockServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const base: EndpointProfile = {
  id: 'edge-1',
  model: 'small',
  contextWindow: 2048,
  outputTokens: 8,
};

async function start(profile: Partial<EndpointProfile> = {}, topology: Partial<Topology> = {}) {
  server = await startMockServer({
    seed: 7,
    timeScale: 0.01,
    ...topology,
    endpoints: [{ ...base, ...profile }],
  });
  const endpoint = server.endpoint('edge-1');
  const client = new OpenAI({ baseURL: endpoint.baseURL, apiKey: 'sk-test', maxRetries: 0 });
  return { endpoint, client };
}

const messages = [{ role: 'user' as const, content: 'Say something.' }];

describe('startMockServer through the openai client', () => {
  it('answers a chat completion with usage', async () => {
    const { endpoint, client } = await start();
    const completion = await client.chat.completions.create({ model: 'small', messages });
    expect(endpoint.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('small');
    expect(completion.choices[0]?.message.content).toMatch(/^edge-1:( \w+){7}$/);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ completion_tokens: 8 });
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(endpoint.stats()).toMatchObject({ received: 1, completed: 1, byStatus: { '200': 1 } });
  });

  it('cuts the output at max_tokens with finish_reason length', async () => {
    const { client } = await start();
    const completion = await client.chat.completions.create({
      model: 'small',
      messages,
      max_completion_tokens: 3,
    });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(3);
  });

  it('streams one token per chunk, then finish_reason, then usage', async () => {
    const { endpoint, client } = await start({ ttftMs: 100, decodeTokensPerSec: 100 });
    const stream = await client.chat.completions.create({
      model: 'small',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toMatch(/^edge-1:( \w+){7}$/);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(8);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(8);
    expect(endpoint.stats()).toMatchObject({ completed: 1, tokensOut: 8 });
  });

  it('refuses a prompt over the context window with context_length_exceeded', async () => {
    const { endpoint, client } = await start({ contextWindow: 100 });
    const error = await client.chat.completions
      .create({
        model: 'small',
        messages: [{ role: 'user', content: 'x'.repeat(400) }],
        max_tokens: 10,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({
      status: 400,
      code: 'context_length_exceeded',
      param: 'messages',
    });
    expect((error as Error).message).toContain("This model's maximum context length is 100 tokens");
    expect(endpoint.stats()).toMatchObject({ received: 1, failed: 1, byStatus: { '400': 1 } });
  });

  it('refuses a wrong key with 401 invalid_api_key, and records the header', async () => {
    const { endpoint } = await start({ apiKey: 'right' });
    const client = new OpenAI({ baseURL: endpoint.baseURL, apiKey: 'wrong', maxRetries: 0 });
    await expect(
      client.chat.completions.create({ model: 'small', messages }),
    ).rejects.toMatchObject({
      constructor: AuthenticationError,
      status: 401,
      code: 'invalid_api_key',
    });
    await expect(client.models.list()).rejects.toBeInstanceOf(AuthenticationError);
    const good = new OpenAI({ baseURL: endpoint.baseURL, apiKey: 'right', maxRetries: 0 });
    expect((await good.models.list()).data.map((m) => m.id)).toEqual(['small']);
    expect(endpoint.stats().authorization.sort()).toEqual(['Bearer right', 'Bearer wrong']);
  });

  it('injects 429 with retry-after and 5xx', async () => {
    const { endpoint, client } = await start({ faults: { rateLimitRate: 1, retryAfterS: 3 } });
    const limited = await client.chat.completions
      .create({ model: 'small', messages })
      .catch((e) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(limited).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    // 3 s × timeScale 0.01: Retry-After is scaled like every other delay.
    expect(limited.headers.get('retry-after-ms')).toBe('30');
    expect(limited.headers.get('retry-after')).toBe('1');
    await endpoint.control({ faults: { rateLimitRate: 0, errorRate: 1, errorStatus: 503 } });
    const failed = await client.chat.completions
      .create({ model: 'small', messages })
      .catch((e) => e);
    expect(failed).toBeInstanceOf(InternalServerError);
    expect(failed).toMatchObject({ status: 503, code: 'server_error' });
    expect(endpoint.stats()).toMatchObject({ failed: 2, byStatus: { '429': 1, '503': 1 } });
  });

  it('hangs until the client times out, and counts the request as aborted', async () => {
    const { endpoint, client } = await start({ faults: { hangRate: 1 } });
    await expect(
      client.chat.completions.create({ model: 'small', messages }, { timeout: 200 }),
    ).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    await expect.poll(() => endpoint.stats().aborted).toBe(1);
    expect(endpoint.stats()).toMatchObject({ received: 1, completed: 0, inFlight: 0 });
  });

  it('cuts the connection mid-body and mid-stream', async () => {
    const { endpoint, client } = await start({ faults: { disconnectRate: 1 } });
    // Headers came, then the body was cut: openai-node lets undici's `TypeError: terminated`
    // through unwrapped (it wraps only errors raised before the response), so callers see both.
    await expect(client.chat.completions.create({ model: 'small', messages })).rejects.toThrow(
      'terminated',
    );
    const stream = await client.chat.completions.create({ model: 'small', messages, stream: true });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    ).rejects.toThrow();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(8);
    expect(endpoint.stats()).toMatchObject({ failed: 2, faults: { disconnect: 2 } });
  });

  it('garbles one SSE line on malformed', async () => {
    const { endpoint } = await start({ faults: { malformedRate: 1 } });
    // logLevel 'off': openai logs the unparsable line before throwing; the test asserts the throw.
    const client = new OpenAI({
      baseURL: endpoint.baseURL,
      apiKey: 'sk-test',
      maxRetries: 0,
      logLevel: 'off',
    });
    const stream = await client.chat.completions.create({ model: 'small', messages, stream: true });
    await expect(
      (async () => {
        for await (const _ of stream) {
          // drain
        }
      })(),
    ).rejects.toThrow(SyntaxError);
    expect(endpoint.stats()).toMatchObject({ faults: { malformed: 1 } });
  });

  it('fills slots, then queues FIFO', async () => {
    const { endpoint, client } = await start(
      { maxConcurrency: 2, ttftMs: 50, decodeTokensPerSec: 200, jitter: 0 },
      { timeScale: 1 },
    );
    const calls = Array.from({ length: 6 }, () =>
      client.chat.completions.create({ model: 'small', messages }),
    );
    await Promise.all(calls);
    expect(endpoint.stats()).toMatchObject({
      completed: 6,
      maxInFlight: 2,
      inFlight: 0,
      queued: 0,
    });
    expect(endpoint.stats().maxQueued).toBeGreaterThanOrEqual(1);
  });

  it('counts requests per x-request-id', async () => {
    const { endpoint, client } = await start();
    await client.chat.completions.create(
      { model: 'small', messages },
      { headers: { 'x-request-id': 'a' } },
    );
    await client.chat.completions.create(
      { model: 'small', messages },
      { headers: { 'x-request-id': 'b' } },
    );
    await client.chat.completions.create(
      { model: 'small', messages },
      { headers: { 'x-tiered-request-id': 'b' } },
    );
    expect(endpoint.stats().byRequestId).toEqual({ a: 1, b: 2 });
  });

  it('applies a /__control patch to the very next request and resets', async () => {
    const { endpoint, client } = await start();
    const response = await fetch(endpoint.baseURL.replace('/v1', '/__control'), {
      method: 'POST',
      body: JSON.stringify({ faults: { errorRate: 1, errorStatus: 502 } }),
    });
    expect(response.status).toBe(200);
    await expect(
      client.chat.completions.create({ model: 'small', messages }),
    ).rejects.toMatchObject({
      status: 502,
    });
    const stats = await (await fetch(endpoint.baseURL.replace('/v1', '/__stats'))).json();
    expect(stats).toMatchObject({ received: 1, failed: 1, byStatus: { '502': 1 } });
    const bad = await fetch(endpoint.baseURL.replace('/v1', '/__control'), {
      method: 'POST',
      body: JSON.stringify({ faults: { errorRate: 3 } }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.param).toBe('faults.errorRate');
    await endpoint.control({ reset: true });
    expect(endpoint.stats().received).toBe(0);
    await expect(
      client.chat.completions.create({ model: 'small', messages }),
    ).resolves.toBeTruthy();
  });

  it('goes down (connection refused) and comes back on the same port', async () => {
    const { endpoint, client } = await start();
    await client.chat.completions.create({ model: 'small', messages });
    await endpoint.control({ down: true });
    await expect(
      client.chat.completions.create({ model: 'small', messages }),
    ).rejects.toBeInstanceOf(APIConnectionError);
    await endpoint.control({ down: false });
    await expect(
      client.chat.completions.create({ model: 'small', messages }),
    ).resolves.toBeTruthy();
    expect(endpoint.stats()).toMatchObject({ received: 2, completed: 2 });
  });

  it('stalls a stream after the first content chunk', async () => {
    const { endpoint, client } = await start({ faults: { stallRate: 1, stallMs: 20_000 } });
    const stream = await client.chat.completions.create({ model: 'small', messages, stream: true });
    const times: number[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) times.push(Date.now());
    expect(times).toHaveLength(8);
    // 20000 ms × timeScale 0.01 = 200 ms between the first and second token. Wide bound: on a
    // loaded machine the client may read the first chunk tens of ms late, shortening the gap.
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(100);
    expect(endpoint.stats()).toMatchObject({ completed: 1, faults: { stall: 1 } });
  });

  it('goes down through POST /__control, answering the request that asked', async () => {
    const { endpoint, client } = await start();
    const control = endpoint.baseURL.replace('/v1', '/__control');
    const response = await fetch(control, { method: 'POST', body: JSON.stringify({ down: true }) });
    expect(await response.json()).toMatchObject({ ok: true, id: 'edge-1' });
    await expect(fetch(control, { method: 'POST', body: '{}' })).rejects.toThrow();
    await endpoint.control({ down: false });
    await expect(
      client.chat.completions.create({ model: 'small', messages }),
    ).resolves.toBeTruthy();
  });

  it('answers /health and 400 for a body without messages', async () => {
    const { endpoint, client } = await start();
    const health = await fetch(endpoint.baseURL.replace('/v1', '/health'));
    expect(await health.json()).toEqual({ ok: true, id: 'edge-1' });
    await expect(
      client.chat.completions.create({ model: 'small', messages: [] }),
    ).rejects.toBeInstanceOf(BadRequestError);
    const notJson = await fetch(`${endpoint.baseURL}/chat/completions`, {
      method: 'POST',
      body: '{',
    });
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.type).toBe('invalid_request_error');
  });

  it('close() ends hung requests and is idempotent', async () => {
    const { endpoint, client } = await start({ faults: { hangRate: 1 } });
    const pending = client.chat.completions.create({ model: 'small', messages }).catch((e) => e);
    await expect.poll(() => endpoint.stats().received).toBe(1);
    await Promise.all([server?.close(), server?.close()]);
    expect(await pending).toBeInstanceOf(APIConnectionError);
    expect(endpoint.stats().aborted).toBe(1);
  });
});
