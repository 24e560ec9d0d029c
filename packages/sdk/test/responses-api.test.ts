import OpenAI, { BadRequestError } from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterEach, describe, expect, it } from 'vitest';
import { edgeProfile, type Lab, originProfile, startLab } from './two-tier.js';

let lab: Lab;
afterEach(async () => {
  await lab?.close();
});

const client = (l: Lab) =>
  new OpenAI({
    baseURL: 'http://tiered.local/v1',
    apiKey: 'caller-secret',
    fetch: l.router.fetch,
    maxRetries: 0,
    logLevel: 'off',
  });

/** Origin takes the Responses API natively; the edges get it translated. */
const nativeOrigin = (id: string) => (id === 'origin' ? { responsesApi: 'native' as const } : {});

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

/** Each endpoint that was tried got the call's request exactly once; the others never saw it. */
function sentOnceTo(l: Lab, requestId: string | null, tried: string[]): void {
  expect(requestId).toBeTruthy();
  for (const e of l.mock.endpoints) {
    expect(e.stats().byRequestId[requestId as string], e.id).toBe(
      tried.includes(e.id) ? 1 : undefined,
    );
  }
}

/** Reads a raw event stream to its end, or to the error it throws. */
async function read(stream: AsyncIterable<ResponseStreamEvent>) {
  const events: ResponseStreamEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events, error: undefined };
  } catch (error) {
    return { events, error: error as Error };
  }
}

const textOf = (events: ResponseStreamEvent[]) =>
  events.map((e) => (e.type === 'response.output_text.delta' ? e.delta : '')).join('');

const TEXT_SEQUENCE = (deltas: number) => [
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.content_part.added',
  ...Array(deltas).fill('response.output_text.delta'),
  'response.output_text.done',
  'response.content_part.done',
  'response.output_item.done',
  'response.completed',
];

describe('router.fetch POST /responses, translated to chat completions', () => {
  it('answers client.responses.create from an edge and says which endpoint served', async () => {
    lab = await startLab();
    const { data, response } = await client(lab)
      .responses.create({ model: 'auto', input: 'Hello!', max_output_tokens: 6 })
      .withResponse();
    const served = response.headers.get('x-tiered-endpoint') as string;
    const requestId = response.headers.get('x-tiered-request-id');
    expect(served).toMatch(/^edge-\d$/);
    expect(response.headers.get('x-tiered-tier')).toBe('edge');
    expect(data.object).toBe('response');
    expect(data.output_text).toMatch(new RegExp(`^${served}:`));
    // Cut at max_output_tokens: an incomplete response, as OpenAI reports it.
    expect(data.status).toBe('incomplete');
    expect(data.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(data.usage).toMatchObject({ output_tokens: 6 });
    expect(data.usage?.input_tokens).toBeGreaterThan(0);
    expect(lab.mock.endpoint(served).stats().byRoute).toEqual({ '/v1/chat/completions': 1 });
    sentOnceTo(lab, requestId, [served]);
    expect(lab.eventsOf(requestId as string)).toEqual([
      'request:start',
      'route:select',
      'attempt:start',
      'attempt:end',
      'request:end',
    ]);
  });

  it('streams with stream: true as the Responses event sequence, numbered, usage at the end', async () => {
    lab = await startLab([edgeProfile('edge-1', { outputTokens: 8 }), originProfile()]);
    const { data: stream, response } = await client(lab)
      .responses.create({ model: 'edge', input: 'Stream, please.', stream: true })
      .withResponse();
    const { events, error } = await read(stream);
    expect(error).toBeUndefined();
    expect(response.headers.get('x-tiered-endpoint')).toBe('edge-1');
    expect(events.map((e) => e.type)).toEqual(TEXT_SEQUENCE(8));
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error('no response.completed');
    expect(textOf(events)).toMatch(/^edge-1:( \w+){7}$/);
    expect(completed.response.output[0]).toMatchObject({
      type: 'message',
      content: [{ type: 'output_text', text: textOf(events) }],
    });
    expect(completed.response.usage).toMatchObject({ output_tokens: 8 });
    sentOnceTo(lab, response.headers.get('x-tiered-request-id'), ['edge-1']);
  });

  it('works with the client.responses.stream() helper', async () => {
    lab = await startLab();
    const stream = client(lab).responses.stream({ model: 'edge', input: 'Hi' });
    let deltas = '';
    stream.on('response.output_text.delta', (e) => {
      deltas += e.delta;
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(deltas);
    expect(final.output_text).toMatch(/^edge-\d:/);
  });

  it('round-trips a function tool: a function_call out, its function_call_output back in', async () => {
    lab = await startLab();
    const openai = client(lab);
    const first = await openai.responses.create({
      model: 'edge',
      input: 'Weather in Paris?',
      tools: [weather],
      tool_choice: 'required',
    });
    const call = first.output[0];
    if (call?.type !== 'function_call')
      throw new Error(`expected a function_call, got ${call?.type}`);
    expect(call).toMatchObject({ name: 'get_weather', status: 'completed' });
    expect(typeof JSON.parse(call.arguments).city).toBe('string');
    expect(call.call_id).toMatch(/^call_edge-\d_/);

    const second = await openai.responses.create({
      model: 'edge',
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        call,
        { type: 'function_call_output', call_id: call.call_id, output: '{"celsius":21}' },
      ],
      tools: [weather],
    });
    // The call and its output reached the model: it answers in text, quoting the output.
    expect(second.output_text).toMatch(/^edge-\d: get_weather returned \{"celsius":21\}/);
    expect(second.usage?.input_tokens).toBeGreaterThan(first.usage?.input_tokens ?? 0);

    const { events } = await read(
      await openai.responses.create({
        model: 'edge',
        input: 'Weather?',
        tools: [weather],
        tool_choice: { type: 'function', name: 'get_weather' },
        stream: true,
      }),
    );
    const done = events.find((e) => e.type === 'response.function_call_arguments.done');
    if (done?.type !== 'response.function_call_arguments.done') throw new Error('no arguments');
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      ...Array(Math.ceil(done.arguments.length / 4)).fill('response.function_call_arguments.delta'),
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(done.name).toBe('get_weather');
    expect(typeof JSON.parse(done.arguments).city).toBe('string');
  });

  it('translates parallel tool calls into one function_call item each, in order', async () => {
    lab = await startLab();
    const tools = ['a', 'b', 'c'].map((name) => ({ ...weather, name }));
    let final:
      | Awaited<ReturnType<ReturnType<OpenAI['responses']['stream']>['finalResponse']>>
      | undefined;
    // How many calls the mock makes is seeded per request: find a request with several.
    for (let i = 0; i < 20 && (final?.output.length ?? 0) < 2; i++) {
      final = await client(lab)
        .responses.stream({ model: 'edge', input: `Go ${i}`, tools, tool_choice: 'required' })
        .finalResponse();
    }
    const output = final?.output ?? [];
    expect(output.length).toBeGreaterThanOrEqual(2);
    for (const item of output) {
      if (item.type !== 'function_call')
        throw new Error(`expected function calls, got ${item.type}`);
      expect(['a', 'b', 'c']).toContain(item.name);
      expect(typeof JSON.parse(item.arguments).city).toBe('string');
    }
    const ids = output.map((o) => (o as { call_id: string }).call_id);
    expect(ids).toEqual(ids.map((_, i) => expect.stringMatching(new RegExp(`_${i}$`))));
  });

  it('answers text.format json_schema with JSON of that schema', async () => {
    lab = await startLab();
    const response = await client(lab).responses.create({
      model: 'edge',
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
    const city = JSON.parse(response.output_text);
    expect(typeof city.name).toBe('string');
    expect(Number.isInteger(city.population)).toBe(true);
    expect(response.text?.format?.type).toBe('json_schema');
  });

  it('fails over before the first token when the edge answers 503 (plain and streamed)', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    await lab.mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 503 } });
    const openai = client(lab);
    const plain = await openai.responses
      .create({ model: 'auto', input: 'hi', max_output_tokens: 5 })
      .withResponse();
    expect(plain.response.headers.get('x-tiered-endpoint')).toBe('origin');
    expect(plain.data.output_text).toMatch(/^origin:/);
    sentOnceTo(lab, plain.response.headers.get('x-tiered-request-id'), ['edge-1', 'origin']);

    const streamed = await openai.responses
      .create({ model: 'auto', input: 'hi again', max_output_tokens: 5, stream: true })
      .withResponse();
    const { events, error } = await read(streamed.data);
    expect(error).toBeUndefined();
    expect(streamed.response.headers.get('x-tiered-endpoint')).toBe('origin');
    expect(textOf(events)).toMatch(/^origin:/);
    expect(events.filter((e) => e.type === 'response.created')).toHaveLength(1);
    sentOnceTo(lab, streamed.response.headers.get('x-tiered-request-id'), ['edge-1', 'origin']);
    expect(lab.mock.endpoint('edge-1').stats()).toMatchObject({
      failed: 2,
      byStatus: { '503': 2 },
    });
    expect(lab.events.filter(([n]) => n === 'failover')).toHaveLength(2);
  });

  it('fails over from a hung edge at the first-token timeout', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    await lab.mock.endpoint('edge-1').control({ faults: { hangRate: 1 } });
    const { data, response } = await client(lab)
      .responses.create({ model: 'auto', input: 'hi', stream: true })
      .withResponse();
    const { events, error } = await read(data);
    expect(error).toBeUndefined();
    expect(response.headers.get('x-tiered-endpoint')).toBe('origin');
    expect(events.at(-1)?.type).toBe('response.completed');
    sentOnceTo(lab, response.headers.get('x-tiered-request-id'), ['edge-1', 'origin']);
    await expect.poll(() => lab.mock.endpoint('edge-1').stats().aborted).toBe(1);
    const error_ = lab.events.find(([n]) => n === 'attempt:error')?.[1];
    expect(error_).toMatchObject({ endpointId: 'edge-1', failure: 'timeout' });
  });

  it('ends a stream cut mid-way with an error event and an error in the client, never response.completed', async () => {
    lab = await startLab([edgeProfile('edge-1', { outputTokens: 8 }), originProfile()]);
    await lab.mock.endpoint('edge-1').control({ faults: { disconnectRate: 1 } });
    const openai = client(lab);
    const { data, response } = await openai.responses
      .create({ model: 'auto', input: 'hi', stream: true })
      .withResponse();
    const { events, error } = await read(data);
    expect(response.headers.get('x-tiered-endpoint')).toBe('edge-1');
    expect(textOf(events).length).toBeGreaterThan(0);
    expect(events.map((e) => e.type)).not.toContain('response.completed');
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'stream_interrupted' });
    expect(events.at(-1)?.sequence_number).toBe(events.length - 1);
    expect(error).toBeInstanceOf(Error);
    // Past the first token the stream is the caller's: no failover, the origin never saw it.
    sentOnceTo(lab, response.headers.get('x-tiered-request-id'), ['edge-1']);

    const helper = openai.responses.stream({ model: 'edge-1', input: 'again' });
    await expect(helper.finalResponse()).rejects.toMatchObject({ code: 'stream_interrupted' });
    expect(lab.events.filter(([n]) => n === 'request:error')).toHaveLength(2);
  });

  it('aborts upstream when the caller aborts mid-stream', async () => {
    lab = await startLab([
      edgeProfile('edge-1', { outputTokens: 200, decodeTokensPerSec: 100 }),
      originProfile(),
    ]);
    const controller = new AbortController();
    const stream = await client(lab).responses.create(
      { model: 'edge-1', input: 'long answer', stream: true },
      { signal: controller.signal },
    );
    const seen: string[] = [];
    await read(
      (async function* () {
        for await (const event of stream) {
          seen.push(event.type);
          if (event.type === 'response.output_text.delta') controller.abort();
          yield event;
        }
      })(),
    );
    expect(seen).not.toContain('response.completed');
    await expect.poll(() => lab.mock.endpoint('edge-1').stats().aborted).toBe(1);
    expect(lab.mock.endpoint('edge-1').stats()).toMatchObject({ completed: 0, inFlight: 0 });
  });

  it('joins a session through x-tiered-session, sticking to the endpoint that served it', async () => {
    lab = await startLab();
    const openai = client(lab);
    const served = new Set<string | null>();
    for (let i = 0; i < 4; i++) {
      const { response } = await openai.responses
        .create(
          { model: 'edge', input: `step ${i}`, max_output_tokens: 4 },
          { headers: { 'x-tiered-session': 'agent-1' } },
        )
        .withResponse();
      served.add(response.headers.get('x-tiered-endpoint'));
    }
    expect(served.size).toBe(1);
    expect(
      lab.events.filter(([n, p]) => n === 'request:start' && p.sessionId === 'agent-1'),
    ).toHaveLength(4);
  });

  it('refuses a malformed body with a 400 naming the field, sending nothing', async () => {
    lab = await startLab();
    const error = await client(lab)
      .responses.create({ model: 'auto', input: [] as never })
      .catch((e) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ code: 'invalid_request', param: 'input' });
    for (const e of lab.mock.endpoints) expect(e.stats().received).toBe(0);
  });
});

describe('router.fetch POST /responses, native endpoints (responsesApi: native)', () => {
  it('sends the call as it is to POST /responses and passes the answer through', async () => {
    lab = await startLab(undefined, {}, nativeOrigin);
    const openai = client(lab);
    const { data, response } = await openai.responses
      .create({ model: 'origin', instructions: 'Be brief.', input: 'Hello!' })
      .withResponse();
    expect(response.headers.get('x-tiered-endpoint')).toBe('origin');
    // The origin's own response id: the answer came through untranslated.
    expect(data.id).toMatch(/^resp_origin-\d+$/);
    expect(data.output_text).toMatch(/^origin:/);
    expect(data.instructions).toBe('Be brief.');
    expect(data.model).toBe('origin-model');

    const { data: stream, response: streamed } = await openai.responses
      .create({ model: 'origin', input: 'Stream!', stream: true })
      .withResponse();
    const { events, error } = await read(stream);
    expect(error).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(TEXT_SEQUENCE(64));
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const completed = events.at(-1);
    if (completed?.type !== 'response.completed') throw new Error('no response.completed');
    expect(completed.response.id).toMatch(/^resp_origin-\d+$/);
    expect(completed.response.usage?.output_tokens).toBe(64);
    sentOnceTo(lab, streamed.headers.get('x-tiered-request-id'), ['origin']);
    expect(lab.mock.endpoint('origin').stats().byRoute).toEqual({ '/v1/responses': 2 });

    // The edges still get Responses calls translated.
    const edge = await openai.responses.create({ model: 'edge', input: 'Hi' }).withResponse();
    const served = edge.response.headers.get('x-tiered-endpoint') as string;
    expect(lab.mock.endpoint(served).stats().byRoute).toEqual({ '/v1/chat/completions': 1 });
  });

  it('fails over from a native endpoint to a translated one before the first token', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], {}, (id) =>
      id === 'edge-1' ? { responsesApi: 'native' } : {},
    );
    await lab.mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 500 } });
    const { data, response } = await client(lab)
      .responses.create({ model: 'auto', input: 'hi', stream: true })
      .withResponse();
    const { events, error } = await read(data);
    expect(error).toBeUndefined();
    expect(response.headers.get('x-tiered-endpoint')).toBe('origin');
    expect(events.at(-1)?.type).toBe('response.completed');
    expect(lab.mock.endpoint('edge-1').stats()).toMatchObject({
      byRoute: { '/v1/responses': 1 },
      byStatus: { '500': 1 },
    });
    expect(lab.mock.endpoint('origin').stats().byRoute).toEqual({ '/v1/chat/completions': 1 });
    sentOnceTo(lab, response.headers.get('x-tiered-request-id'), ['edge-1', 'origin']);
  });

  it('ends a native stream cut mid-way with an error event after the upstream events', async () => {
    lab = await startLab(undefined, {}, nativeOrigin);
    await lab.mock.endpoint('origin').control({ faults: { disconnectRate: 1 } });
    const { data, response } = await client(lab)
      .responses.create({ model: 'origin', input: 'hi', stream: true })
      .withResponse();
    const { events, error } = await read(data);
    expect(textOf(events).length).toBeGreaterThan(0);
    expect(events.map((e) => e.type)).not.toContain('response.completed');
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'stream_interrupted' });
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(error).toBeInstanceOf(Error);
    sentOnceTo(lab, response.headers.get('x-tiered-request-id'), ['origin']);
  });

  it('routes previous_response_id to native endpoints only', async () => {
    lab = await startLab(undefined, {}, nativeOrigin);
    const openai = client(lab);
    const first = await openai.responses.create({ model: 'origin', input: 'Remember 42.' });
    const { data, response } = await openai.responses
      .create({ model: 'auto', input: 'Which number?', previous_response_id: first.id })
      .withResponse();
    expect(response.headers.get('x-tiered-endpoint')).toBe('origin');
    expect(data.previous_response_id).toBe(first.id);
    // The origin counted the earlier turn into the prompt: it had the stored response.
    expect(data.usage?.input_tokens).toBeGreaterThan(first.usage?.total_tokens ?? 0);
    for (const id of ['edge-1', 'edge-2']) expect(lab.mock.endpoint(id).stats().received).toBe(0);
    const select = lab.events.filter(([n]) => n === 'route:select').at(-1)?.[1];
    expect(JSON.stringify(select)).toContain('no native Responses API');
  });

  it('refuses what needs a native endpoint when none is configured, naming the field', async () => {
    lab = await startLab();
    const openai = client(lab);
    const builtIn = await openai.responses
      .create({ model: 'auto', input: 'news?', tools: [{ type: 'web_search' }] })
      .catch((e) => e);
    expect(builtIn).toBeInstanceOf(BadRequestError);
    expect(builtIn).toMatchObject({ code: 'invalid_request', param: 'tools[0].type' });
    const continued = await openai.responses
      .create({ model: 'auto', input: 'and?', previous_response_id: 'resp_1' })
      .catch((e) => e);
    expect(continued).toMatchObject({ status: 400, param: 'previous_response_id' });
    for (const e of lab.mock.endpoints) expect(e.stats().received).toBe(0);
  });
});
