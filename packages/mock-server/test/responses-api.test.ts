import OpenAI, {
  APIConnectionTimeoutError,
  BadRequestError,
  InternalServerError,
  RateLimitError,
} from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterEach, describe, expect, it } from 'vitest';
import { type EndpointProfile, type MockServer, startMockServer } from '../src/index.js';

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

async function start(profile: Partial<EndpointProfile> = {}) {
  server = await startMockServer({
    seed: 7,
    timeScale: 0.01,
    endpoints: [{ ...base, ...profile }],
  });
  const endpoint = server.endpoint('edge-1');
  const client = new OpenAI({
    baseURL: endpoint.baseURL,
    apiKey: 'sk-test',
    maxRetries: 0,
    logLevel: 'off',
  });
  return { endpoint, client };
}

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
};

async function drain(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('POST /v1/responses through the openai client', () => {
  it('answers a string input with a response object and usage', async () => {
    const { endpoint, client } = await start();
    const response = await client.responses.create({ model: 'small', input: 'Say something.' });
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'small',
      error: null,
      incomplete_details: null,
    });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output_text).toMatch(/^edge-1:( \w+){7}$/);
    expect(response.output).toHaveLength(1);
    expect(response.output[0]).toMatchObject({ type: 'message', role: 'assistant' });
    expect(response.usage).toMatchObject({ output_tokens: 8 });
    expect(response.usage?.input_tokens).toBeGreaterThan(0);
    expect(response.usage?.total_tokens).toBe(
      (response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0),
    );
    expect(endpoint.stats()).toMatchObject({
      received: 1,
      completed: 1,
      byRoute: { '/v1/responses': 1 },
      byStatus: { '200': 1 },
      tokensOut: 8,
    });
  });

  it('counts instructions and items like the chat messages they amount to', async () => {
    const { client } = await start();
    const chat = await client.chat.completions.create({
      model: 'small',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is the capital of France?' },
      ],
    });
    const response = await client.responses.create({
      model: 'small',
      instructions: 'Be brief.',
      input: [{ role: 'user', content: 'What is the capital of France?' }],
    });
    expect(response.usage?.input_tokens).toBe(chat.usage?.prompt_tokens);
    expect(response.instructions).toBe('Be brief.');
  });

  it('stops at max_output_tokens as an incomplete response', async () => {
    const { client } = await start();
    const response = await client.responses.create({
      model: 'small',
      input: 'Say something.',
      max_output_tokens: 3,
    });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.usage?.output_tokens).toBe(3);
    expect(response.max_output_tokens).toBe(3);
  });

  it('streams the event sequence OpenAI sends, numbered, one delta per token', async () => {
    const { endpoint, client } = await start();
    const events = await drain(
      await client.responses.create({ model: 'small', input: 'Say something.', stream: true }),
    );
    const types = events.map((e) => e.type);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array(8).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const text = events
      .map((e) => (e.type === 'response.output_text.delta' ? e.delta : ''))
      .join('');
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error('no response.completed');
    expect(completed.response.output_text ?? text).toBe(text);
    expect(completed.response.output[0]).toMatchObject({
      type: 'message',
      status: 'completed',
      content: [{ type: 'output_text', text }],
    });
    expect(completed.response.usage).toMatchObject({ output_tokens: 8 });
    const created = events[0];
    if (created?.type !== 'response.created') throw new Error('no response.created');
    expect(created.response).toMatchObject({
      status: 'in_progress',
      output: [],
      id: completed.response.id,
    });
    expect(endpoint.stats()).toMatchObject({ completed: 1, tokensOut: 8 });
  });

  it('works with the client.responses.stream() helper', async () => {
    const { client } = await start();
    const stream = client.responses.stream({ model: 'small', input: 'Say something.' });
    let deltas = '';
    stream.on('response.output_text.delta', (e) => {
      deltas += e.delta;
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(deltas);
    expect(final.output_text).toMatch(/^edge-1:/);
  });

  it('calls a forced function tool, and takes its output back', async () => {
    const { endpoint, client } = await start();
    const first = await client.responses.create({
      model: 'small',
      input: 'Weather in Paris?',
      tools: [weather],
      tool_choice: 'required',
    });
    const call = first.output[0];
    if (call?.type !== 'function_call')
      throw new Error(`expected a function_call, got ${call?.type}`);
    expect(call).toMatchObject({ name: 'get_weather', status: 'completed' });
    // Arguments valid against the tool's schema, one output token per 4 characters plus the call.
    expect(typeof JSON.parse(call.arguments).city).toBe('string');
    expect(call.call_id).toMatch(/^call_edge-1_\d+_0$/);
    expect(first.usage?.output_tokens).toBe(1 + Math.ceil(call.arguments.length / 4));

    const second = await client.responses.create({
      model: 'small',
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        call,
        { type: 'function_call_output', call_id: call.call_id, output: '{"celsius":21}' },
      ],
      tools: [weather],
    });
    // Under 'auto' a conversation ending with the tool's output is answered in text, quoting it.
    expect(second.output_text).toMatch(/^edge-1: get_weather returned \{"celsius":21\}/);
    expect(second.usage?.input_tokens).toBeGreaterThan(first.usage?.input_tokens ?? 0);
    expect(endpoint.stats().byRoute).toEqual({ '/v1/responses': 2 });
  });

  it('streams a tool call as output_item.added, arguments delta and done', async () => {
    const { client } = await start();
    const events = await drain(
      await client.responses.create({
        model: 'small',
        input: 'Weather?',
        tools: [weather],
        tool_choice: { type: 'function', name: 'get_weather' },
        stream: true,
      }),
    );
    const done = events.find((e) => e.type === 'response.function_call_arguments.done');
    if (done?.type !== 'response.function_call_arguments.done') throw new Error('no arguments');
    const pieces = Math.ceil(done.arguments.length / 4);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      ...Array(pieces).fill('response.function_call_arguments.delta'),
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(done.name).toBe('get_weather');
    const deltas = events.map((e) =>
      e.type === 'response.function_call_arguments.delta' ? e.delta : '',
    );
    expect(deltas.join('')).toBe(done.arguments);
    expect(typeof JSON.parse(done.arguments).city).toBe('string');
  });

  it('streams parallel tool calls one item after another', async () => {
    const { client } = await start();
    const tools = ['a', 'b', 'c'].map((name) => ({ ...weather, name }));
    let events: ResponseStreamEvent[] = [];
    // The number of calls is seeded per request: find one with several.
    for (
      let i = 0;
      i < 20 && events.filter((e) => e.type === 'response.output_item.added').length < 2;
      i++
    ) {
      events = await drain(
        await client.responses.create({
          model: 'small',
          input: `Go ${i}`,
          tools,
          tool_choice: 'required',
          stream: true,
        }),
      );
    }
    const items = events.filter((e) => e.type === 'response.output_item.added');
    expect(items.length).toBeGreaterThanOrEqual(2);
    // Each call is done before the next one starts.
    const order = events
      .filter(
        (e) => e.type === 'response.output_item.added' || e.type === 'response.output_item.done',
      )
      .map(
        (e) =>
          `${e.type.slice('response.output_item.'.length)}:${(e as { output_index: number }).output_index}`,
      );
    expect(order).toEqual(items.flatMap((_, i) => [`added:${i}`, `done:${i}`]));
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error('no response.completed');
    expect(completed.response.output.map((o) => o.type)).toEqual(items.map(() => 'function_call'));
    expect(
      new Set(completed.response.output.map((o) => (o as { call_id: string }).call_id)).size,
    ).toBe(items.length);
  });

  it('answers text.format json_schema with JSON of the schema', async () => {
    const { client } = await start();
    const response = await client.responses.create({
      model: 'small',
      input: 'Describe a city.',
      text: {
        format: {
          type: 'json_schema',
          name: 'city',
          schema: {
            type: 'object',
            properties: { name: { type: 'string' }, population: { type: 'integer' } },
            required: ['name', 'population'],
            additionalProperties: false,
          },
          strict: true,
        },
      },
    });
    const value = JSON.parse(response.output_text);
    expect(typeof value.name).toBe('string');
    expect(Number.isInteger(value.population)).toBe(true);
    expect(response.text?.format?.type).toBe('json_schema');
  });

  it('continues a stored response with previous_response_id, and refuses an unknown one', async () => {
    const { client } = await start();
    const first = await client.responses.create({ model: 'small', input: 'Remember 42.' });
    const next = await client.responses.create({
      model: 'small',
      input: 'What number?',
      previous_response_id: first.id,
    });
    const alone = await client.responses.create({ model: 'small', input: 'What number?' });
    // The earlier turn's whole context counts toward the prompt.
    expect(next.usage?.input_tokens).toBe(
      (alone.usage?.input_tokens ?? 0) + (first.usage?.total_tokens ?? 0),
    );
    expect(next.previous_response_id).toBe(first.id);
    const error = await client.responses
      .create({ model: 'small', input: 'x', previous_response_id: 'resp_nope' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({
      code: 'previous_response_not_found',
      param: 'previous_response_id',
    });
  });

  it('refuses an input over the context window with context_length_exceeded', async () => {
    const { endpoint, client } = await start({ contextWindow: 100 });
    const error = await client.responses
      .create({ model: 'small', input: 'x'.repeat(400), max_output_tokens: 10 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'input' });
    expect(endpoint.stats()).toMatchObject({ received: 1, failed: 1, byStatus: { '400': 1 } });
  });

  it('refuses a body without input, naming the field', async () => {
    const { client } = await start();
    const error = await client.responses
      .create({ model: 'small', input: [] as never })
      .catch((e) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.param).toBe('input');
  });

  it('injects 429 with retry-after, 5xx and hangs, as for chat completions', async () => {
    const { endpoint, client } = await start({ faults: { rateLimitRate: 1, retryAfterS: 3 } });
    const limited = await client.responses.create({ model: 'small', input: 'x' }).catch((e) => e);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(limited.headers.get('retry-after-ms')).toBe('30');
    await endpoint.control({ faults: { rateLimitRate: 0, errorRate: 1, errorStatus: 503 } });
    const failed = await client.responses.create({ model: 'small', input: 'x' }).catch((e) => e);
    expect(failed).toBeInstanceOf(InternalServerError);
    await endpoint.control({ faults: { errorRate: 0, hangRate: 1 } });
    await expect(
      client.responses.create({ model: 'small', input: 'x' }, { timeout: 200 }),
    ).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    await expect.poll(() => endpoint.stats().aborted).toBe(1);
    expect(endpoint.stats()).toMatchObject({
      received: 3,
      failed: 2,
      byStatus: { '429': 1, '503': 1 },
      faults: { rateLimit: 1, error: 1, hang: 1 },
    });
  });

  it('cuts a stream mid-way: the client sees an error, never response.completed', async () => {
    const { endpoint, client } = await start({ faults: { disconnectRate: 1 } });
    const seen: string[] = [];
    const error = await (async () => {
      const stream = await client.responses.create({ model: 'small', input: 'x', stream: true });
      for await (const event of stream) seen.push(event.type);
    })().catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(seen).toContain('response.output_text.delta');
    expect(seen).not.toContain('response.completed');
    expect(endpoint.stats()).toMatchObject({ failed: 1, completed: 0, faults: { disconnect: 1 } });
  });
});
