import { setupServer } from 'msw/node';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, RateLimitError } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMockHandlers } from '../src/msw.js';

// msw intercepts every fetch in this file, so real-server tests live in another file.
const mock = createMockHandlers({
  seed: 3,
  timeScale: 0.01,
  endpoints: [
    { id: 'edge-1', model: 'small', contextWindow: 4096, outputTokens: 6, apiKey: 'k', ttftMs: 50 },
    { id: 'origin', model: 'big', contextWindow: 128_000, outputTokens: 6, maxConcurrency: 1 },
  ],
});
const server = setupServer(...mock.handlers);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(async () => {
  server.resetHandlers();
  await mock.endpoint('edge-1').control({ reset: true });
  await mock.endpoint('origin').control({ reset: true });
});
afterAll(() => server.close());

const client = (id: string) =>
  new OpenAI({
    baseURL: mock.endpoints.find((e) => e.id === id)?.baseURL ?? '',
    apiKey: 'k',
    maxRetries: 0,
    // Look fetch up at call time, so msw's patched fetch is the one used.
    fetch: (input, init) => globalThis.fetch(input, init),
  });
const messages = [{ role: 'user' as const, content: 'hello' }];

describe('createMockHandlers', () => {
  it('names base URLs after the endpoint ids', () => {
    expect(mock.endpoints).toEqual([
      { id: 'edge-1', baseURL: 'http://edge-1.mock/v1' },
      { id: 'origin', baseURL: 'http://origin.mock/v1' },
    ]);
    expect(() => mock.endpoint('nope')).toThrow('Unknown mock endpoint `nope`');
  });

  it('answers a chat completion', async () => {
    const completion = await client('edge-1').chat.completions.create({ model: 'small', messages });
    expect(completion.choices[0]?.message.content).toMatch(/^edge-1:/);
    expect(completion.usage?.completion_tokens).toBe(6);
    expect(mock.endpoint('edge-1').stats()).toMatchObject({ received: 1, completed: 1 });
  });

  it('streams with usage', async () => {
    const stream = await client('origin').chat.completions.create({
      model: 'big',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toMatch(/^origin:( \w+){5}$/);
    expect(chunks.at(-1)?.usage?.total_tokens).toBeGreaterThan(6);
  });

  it('answers the Responses API, plain and streamed', async () => {
    const response = await client('edge-1').responses.create({ model: 'small', input: 'hello' });
    expect(response.output_text).toMatch(/^edge-1:/);
    const events = [];
    const stream = await client('origin').responses.create({
      model: 'big',
      input: 'hello',
      stream: true,
    });
    for await (const event of stream) events.push(event.type);
    expect(events[0]).toBe('response.created');
    expect(events.at(-1)).toBe('response.completed');
    expect(mock.endpoint('origin').stats().byRoute).toEqual({ '/v1/responses': 1 });
  });

  it('injects faults and outages', async () => {
    await mock.endpoint('edge-1').control({ faults: { rateLimitRate: 1 } });
    await expect(
      client('edge-1').chat.completions.create({ model: 'small', messages }),
    ).rejects.toBeInstanceOf(RateLimitError);
    await mock.endpoint('edge-1').control({ faults: { rateLimitRate: 0 }, down: true });
    await expect(
      client('edge-1').chat.completions.create({ model: 'small', messages }),
    ).rejects.toBeInstanceOf(APIConnectionError);
  });

  it('hangs until the client gives up', async () => {
    await mock.endpoint('origin').control({ faults: { hangRate: 1 } });
    await expect(
      client('origin').chat.completions.create({ model: 'big', messages }, { timeout: 100 }),
    ).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    await expect.poll(() => mock.endpoint('origin').stats().aborted).toBe(1);
  });

  it('errors a stream on disconnect', async () => {
    await mock.endpoint('origin').control({ faults: { disconnectRate: 1 } });
    const stream = await client('origin').chat.completions.create({
      model: 'big',
      messages,
      stream: true,
    });
    await expect(
      (async () => {
        for await (const _ of stream) {
          // drain
        }
      })(),
    ).rejects.toThrow();
  });
});
