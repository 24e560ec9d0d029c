import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { afterEach, describe, expect, it } from 'vitest';
import { type EndpointProfile, type MockServer, startMockServer } from '../src/index.js';

const addFormats = (formats as unknown as { default: typeof formats.default }).default;
const ajv = new Ajv2020({ strict: false });
addFormats(ajv);

let server: MockServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(profile: Partial<EndpointProfile> = {}) {
  server = await startMockServer({
    seed: 7,
    timeScale: 0.01,
    endpoints: [{ id: 'edge-1', model: 'small', contextWindow: 8192, outputTokens: 8, ...profile }],
  });
  const endpoint = server.endpoint('edge-1');
  const client = new OpenAI({ baseURL: endpoint.baseURL, apiKey: 'sk-test', maxRetries: 0 });
  return { endpoint, client };
}

const weatherParameters = {
  type: 'object',
  properties: {
    city: { type: 'string', description: 'City name' },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer', minimum: 1, maximum: 7 },
    when: { type: ['string', 'null'], format: 'date' },
  },
  required: ['city', 'unit', 'days', 'when'],
  additionalProperties: false,
};
const tool = (name: string, parameters: Record<string, unknown>): ChatCompletionTool => ({
  type: 'function',
  function: { name, parameters, strict: true },
});
const weather = tool('get_weather', weatherParameters);
const search = tool('search', {
  type: 'object',
  properties: { query: { type: 'string', minLength: 3 }, limit: { type: 'integer', minimum: 1 } },
  required: ['query', 'limit'],
  additionalProperties: false,
});
const clock = tool('get_time', {
  type: 'object',
  properties: { zone: { type: 'string' } },
  required: ['zone'],
  additionalProperties: false,
});
const byName: Record<string, Record<string, unknown>> = {
  get_weather: weatherParameters,
  search: search.type === 'function' ? (search.function.parameters ?? {}) : {},
  get_time: clock.type === 'function' ? (clock.function.parameters ?? {}) : {},
};

const ask: ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];

/** Asserts a call's arguments are valid against its tool's schema; returns them parsed. */
function checkArguments(call: ChatCompletionMessageToolCall | undefined): Record<string, unknown> {
  if (call?.type !== 'function') throw new Error(`expected a function call, got ${call?.type}`);
  const args = JSON.parse(call.function.arguments);
  const validate = ajv.compile(byName[call.function.name] ?? false);
  expect(validate(args), ajv.errorsText(validate.errors)).toBe(true);
  return args;
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('tool calls through the openai client', () => {
  it('fills a forced tool call with the required arguments, typed as the schema says', async () => {
    const { endpoint, client } = await start();
    const completion = await client.chat.completions.create({
      model: 'small',
      messages: ask,
      tools: [search, weather],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toHaveLength(1);
    const call = choice?.message.tool_calls?.[0];
    expect(call && 'function' in call ? call.function.name : '').toBe('get_weather');
    const args = checkArguments(call);
    expect(Object.keys(args)).toEqual(['city', 'unit', 'days', 'when']);
    expect(typeof args.city).toBe('string');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(1);
    expect(endpoint.stats()).toMatchObject({ received: 1, completed: 1 });
  });

  it('streams tool calls as OpenAI does: a first delta with index, id, name; then argument fragments', async () => {
    const { endpoint, client } = await start();
    const chunks = await collect(
      await client.chat.completions.create({
        model: 'small',
        messages: ask,
        tools: [weather],
        tool_choice: 'required',
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({
      index: 0,
      id: expect.stringMatching(/^call_/),
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    });
    const fragments = deltas.slice(1);
    expect(fragments.length).toBeGreaterThan(3);
    for (const d of fragments) {
      expect(d).toEqual({ index: 0, function: { arguments: expect.any(String) } });
    }
    const args = fragments.map((d) => d.function?.arguments).join('');
    checkArguments({
      id: 'x',
      type: 'function',
      function: { name: 'get_weather', arguments: args },
    });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(deltas.length);
    expect(endpoint.stats()).toMatchObject({ received: 1, completed: 1, tokensOut: deltas.length });
  });

  it("calls tools under 'auto' (toolCallRate 1 by default), never under 'none' or at rate 0", async () => {
    const { endpoint, client } = await start();
    const auto = await client.chat.completions.create({
      model: 'small',
      messages: ask,
      tools: [weather],
    });
    expect(auto.choices[0]?.finish_reason).toBe('tool_calls');
    checkArguments(auto.choices[0]?.message.tool_calls?.[0]);
    const none = await client.chat.completions.create({
      model: 'small',
      messages: ask,
      tools: [weather],
      tool_choice: 'none',
    });
    expect(none.choices[0]?.finish_reason).toBe('stop');
    expect(none.choices[0]?.message.tool_calls).toBeUndefined();
    expect(none.choices[0]?.message.content).toMatch(/^edge-1:( \w+){7}$/);
    await endpoint.control({ toolCallRate: 0 });
    const never = await client.chat.completions.create({
      model: 'small',
      messages: ask,
      tools: [weather],
      tool_choice: 'auto',
    });
    expect(never.choices[0]?.finish_reason).toBe('stop');
    const forced = await client.chat.completions.create({
      model: 'small',
      messages: ask,
      tools: [weather],
      tool_choice: 'required',
    });
    expect(forced.choices[0]?.finish_reason).toBe('tool_calls');
    expect(endpoint.stats()).toMatchObject({ received: 4, completed: 4 });
  });

  it('answers a tool result in text that mentions it, closing the round trip', async () => {
    const { endpoint, client } = await start();
    const tools = [weather];
    const first = await client.chat.completions.create(
      { model: 'small', messages: ask, tools },
      { headers: { 'x-request-id': 'turn-1' } },
    );
    const call = first.choices[0]?.message.tool_calls?.[0];
    checkArguments(call);
    const history: ChatCompletionMessageParam[] = [
      ...ask,
      first.choices[0]?.message as ChatCompletionMessageParam,
      { role: 'tool', tool_call_id: call?.id ?? '', content: '{"temperature": 21}' },
    ];
    const second = await client.chat.completions.create(
      { model: 'small', messages: history, tools },
      { headers: { 'x-request-id': 'turn-2' } },
    );
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toMatch(
      /^edge-1: get_weather returned \{"temperature": 21\}( \w+){3}$/,
    );
    // Streaming: the same text, one word per chunk.
    const chunks = await collect(
      await client.chat.completions.create(
        { model: 'small', messages: history, tools, stream: true },
        { headers: { 'x-request-id': 'turn-2-stream' } },
      ),
    );
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toMatch(/^edge-1: get_weather returned \{"temperature": 21\}/);
    expect(endpoint.stats()).toMatchObject({
      received: 3,
      completed: 3,
      byRequestId: { 'turn-1': 1, 'turn-2': 1, 'turn-2-stream': 1 },
    });
  });

  it('makes parallel calls of distinct tools, which the official stream helper assembles', async () => {
    const { endpoint, client } = await start();
    const tools = [weather, search, clock];
    const sizes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const final = await client.chat.completions
        .stream({ model: 'small', messages: [{ role: 'user', content: `task ${i}` }], tools })
        .finalChatCompletion();
      const calls = final.choices[0]?.message.tool_calls ?? [];
      sizes.push(calls.length);
      for (const call of calls) checkArguments(call);
      const names = calls.map((c) => ('function' in c ? c.function.name : ''));
      expect(new Set(names).size).toBe(names.length);
      expect(new Set(calls.map((c) => c.id)).size).toBe(calls.length);
    }
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
    const single = await client.chat.completions.create({
      model: 'small',
      messages: [{ role: 'user', content: 'task 0' }],
      tools,
      parallel_tool_calls: false,
    });
    expect(single.choices[0]?.message.tool_calls).toHaveLength(1);
    expect(endpoint.stats()).toMatchObject({ received: 9, completed: 9 });
  });
});

describe('JSON content through the openai client', () => {
  const schema = {
    type: 'object',
    properties: {
      title: { type: 'string' },
      year: { type: 'integer', minimum: 1900, maximum: 2030 },
      tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
      author: {
        type: 'object',
        properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' } },
        required: ['name', 'email'],
        additionalProperties: false,
      },
    },
    required: ['title', 'year', 'tags', 'author'],
    additionalProperties: false,
  };

  it('answers json_schema with content valid against the schema, plain and streamed', async () => {
    const { client } = await start();
    const validate = ajv.compile(schema);
    const response_format = {
      type: 'json_schema' as const,
      json_schema: { name: 'book', strict: true, schema },
    };
    const plain = await client.chat.completions.create({
      model: 'small',
      messages: ask,
      response_format,
    });
    const value = JSON.parse(plain.choices[0]?.message.content ?? '');
    expect(validate(value), ajv.errorsText(validate.errors)).toBe(true);
    const chunks = await collect(
      await client.chat.completions.create({
        model: 'small',
        messages: ask,
        response_format,
        stream: true,
      }),
    );
    const streamed = JSON.parse(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''));
    expect(validate(streamed), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('answers json_object with the keys of a schema in the prompt, else a small object', async () => {
    const { client } = await start();
    const withSchema = await client.chat.completions.create({
      model: 'small',
      messages: [
        {
          role: 'system',
          content: `Reply in JSON following this schema:\n${JSON.stringify(schema)}`,
        },
        ...ask,
      ],
      response_format: { type: 'json_object' },
    });
    const value = JSON.parse(withSchema.choices[0]?.message.content ?? '');
    expect(Object.keys(value)).toEqual(['title', 'year', 'tags', 'author']);
    expect(ajv.validate(schema, value)).toBe(true);
    const plain = await client.chat.completions.create({
      model: 'small',
      messages: [{ role: 'user', content: 'Reply as JSON {"answer": string}.' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(plain.choices[0]?.message.content ?? '')).toEqual({
      answer: expect.stringMatching(/^edge-1:( \w+){7}$/),
    });
  });
});
