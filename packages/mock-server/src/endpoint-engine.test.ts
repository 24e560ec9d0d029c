import { describe, expect, it } from 'vitest';
import { EndpointEngine, type ResponseSink } from './endpoint-engine.js';
import type { EndpointProfile } from './topology.js';

interface Captured {
  status: number;
  headers: Record<string, string>;
  body: string;
  destroyed: boolean;
}

async function call(engine: EndpointEngine, body: unknown, headers: Record<string, string> = {}) {
  const out: Captured = { status: 0, headers: {}, body: '', destroyed: false };
  const sink: ResponseSink = {
    head: (status, h) => Object.assign(out, { status, headers: h }),
    write: (chunk) => {
      out.body += chunk;
    },
    end: (chunk) => {
      out.body += chunk ?? '';
    },
    destroy: () => {
      out.destroyed = true;
    },
  };
  await engine.handle(
    {
      method: 'POST',
      path: '/v1/chat/completions',
      headers,
      body: JSON.stringify(body),
      signal: new AbortController().signal,
    },
    sink,
  );
  return out;
}

const profile: EndpointProfile = { id: 'e', model: 'm', contextWindow: 4096, outputTokens: 5 };
const messages = [{ role: 'user', content: 'hi' }];
const faults = { errorRate: 0.3, rateLimitRate: 0.2, disconnectRate: 0.2 };

async function statuses(seed: number, n = 40) {
  const engine = new EndpointEngine({ profile: { ...profile, faults }, seed });
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await call(engine, { messages: [{ role: 'user', content: `q${i}` }] });
    out.push(r.destroyed ? 'cut' : String(r.status));
  }
  return out;
}

describe('EndpointEngine', () => {
  it('draws the same faults for the same seed and order of arrivals', async () => {
    const a = await statuses(11);
    expect(await statuses(11)).toEqual(a);
    expect(await statuses(12)).not.toEqual(a);
    expect(new Set(a)).toEqual(new Set(['200', '429', '500', 'cut']));
  });

  it('restarts the fault sequence on reset', async () => {
    const engine = new EndpointEngine({ profile: { ...profile, faults }, seed: 5 });
    const first = [];
    for (let i = 0; i < 10; i++) first.push((await call(engine, { messages })).status);
    await engine.control({ reset: true });
    const second = [];
    for (let i = 0; i < 10; i++) second.push((await call(engine, { messages })).status);
    expect(second).toEqual(first);
  });

  it('answers tool calls: forced always, auto per toolCallRate, none never', async () => {
    const engine = new EndpointEngine({ profile });
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: {} } }];
    const finish = async (body: object) =>
      JSON.parse((await call(engine, { messages, tools, ...body })).body).choices[0].finish_reason;
    expect(await finish({ tool_choice: { type: 'function', function: { name: 'lookup' } } })).toBe(
      'tool_calls',
    );
    expect(await finish({ tool_choice: 'required' })).toBe('tool_calls');
    expect(await finish({})).toBe('tool_calls'); // auto, toolCallRate 1 by default
    expect(await finish({ tool_choice: 'none' })).toBe('stop');
    await engine.control({ toolCallRate: 0 });
    expect(await finish({ tool_choice: 'auto' })).toBe('stop');
    expect(await finish({ tool_choice: 'required' })).toBe('tool_calls');
  });

  it('draws auto tool calls from the seed and the request, at about the rate', async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: {} } }];
    const pattern = async (seed: number) => {
      const engine = new EndpointEngine({ profile: { ...profile, toolCallRate: 0.5 }, seed });
      const out: boolean[] = [];
      for (let i = 0; i < 60; i++) {
        const r = await call(engine, { messages: [{ role: 'user', content: `q${i}` }], tools });
        out.push(JSON.parse(r.body).choices[0].finish_reason === 'tool_calls');
      }
      return out;
    };
    const a = await pattern(3);
    expect(await pattern(3)).toEqual(a);
    expect(await pattern(4)).not.toEqual(a);
    const calls = a.filter(Boolean).length;
    expect(calls).toBeGreaterThan(15);
    expect(calls).toBeLessThan(45);
  });

  it('refuses tool_choice values OpenAI refuses', async () => {
    const engine = new EndpointEngine({ profile });
    const tools = [{ type: 'function', function: { name: 'lookup' } }];
    for (const body of [
      { messages, tool_choice: 'required' },
      { messages, tools, tool_choice: 'any' },
      { messages, tools, tool_choice: { type: 'function', function: { name: 'other' } } },
    ]) {
      const r = await call(engine, body);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body).error).toMatchObject({
        type: 'invalid_request_error',
        param: 'tool_choice',
      });
    }
  });

  it('answers valid JSON for response_format', async () => {
    const engine = new EndpointEngine({ profile });
    const content = (r: { body: string }) =>
      JSON.parse(JSON.parse(r.body).choices[0].message.content);
    const object = content(
      await call(engine, { messages, response_format: { type: 'json_object' } }),
    );
    expect(object).toEqual({ answer: expect.stringMatching(/^e: /) });
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, n: { type: 'integer' }, ok: { type: 'boolean' } },
      required: ['city', 'n', 'ok'],
    };
    const streamed = await call(engine, {
      messages,
      stream: true,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
    });
    const text = streamed.body
      .split('\n\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)).choices[0]?.delta.content ?? '')
      .join('');
    expect(JSON.parse(text)).toEqual({
      city: expect.stringMatching(/^e: /),
      n: expect.any(Number),
      ok: expect.any(Boolean),
    });
    // json_object: the keys of a schema written in the prompt.
    const asked = content(
      await call(engine, {
        messages: [
          { role: 'system', content: `Answer in JSON matching ${JSON.stringify({ schema })}.` },
          { role: 'user', content: 'Where?' },
        ],
        response_format: { type: 'json_object' },
      }),
    );
    expect(Object.keys(asked)).toEqual(['city', 'n', 'ok']);
  });

  it('counts prompt tokens from the text and serves a repeated prefix from the cache', async () => {
    const engine = new EndpointEngine({ profile: { ...profile, prefixCache: true } });
    const system = { role: 'system', content: 'x'.repeat(400) };
    const first = JSON.parse((await call(engine, { messages: [system, messages[0]] })).body);
    // 3 reply priming + (4 + ceil(406 / 4)) + (4 + ceil(6 / 4))
    expect(first.usage.prompt_tokens).toBe(3 + 4 + 102 + 4 + 2);
    const second = JSON.parse(
      (await call(engine, { messages: [system, { role: 'user', content: 'other' }] })).body,
    );
    expect(second.usage.prompt_tokens_details).toEqual({ cached_tokens: 3 + 4 + 102 });
    expect(engine.stats().cachedTokensIn).toBe(109);
  });

  it('refuses bodies it cannot use with 400 invalid_request_error', async () => {
    const engine = new EndpointEngine({ profile });
    for (const body of [{}, { messages: [] }, { messages: ['x'] }, { messages, max_tokens: -1 }]) {
      const r = await call(engine, body);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body).error.type).toBe('invalid_request_error');
    }
  });

  it('records the trace context each chat request carried, and none for requests without', async () => {
    const engine = new EndpointEngine({ profile });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await call(engine, { messages }, { 'x-tiered-request-id': 'r1', traceparent, baggage: 'k=v' });
    await call(engine, { messages }, { 'x-tiered-request-id': 'r2' });
    expect(engine.stats().traceHeaders).toEqual([{ requestId: 'r1', traceparent, baggage: 'k=v' }]);
    expect(engine.stats().received).toBe(2);
  });
});
