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

  it('calls a forced tool with {} arguments', async () => {
    const engine = new EndpointEngine({ profile });
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: {} } }];
    const named = JSON.parse(
      (
        await call(engine, {
          messages,
          tools,
          tool_choice: { type: 'function', function: { name: 'lookup' } },
        })
      ).body,
    );
    expect(named.choices[0].finish_reason).toBe('tool_calls');
    expect(named.choices[0].message.tool_calls[0].function).toEqual({
      name: 'lookup',
      arguments: '{}',
    });
    const required = await call(engine, { messages, tools, tool_choice: 'required', stream: true });
    expect(required.body).toContain('"name":"lookup"');
    expect(required.body).toContain('"finish_reason":"tool_calls"');
    const auto = JSON.parse((await call(engine, { messages, tools })).body);
    expect(auto.choices[0].finish_reason).toBe('stop');
  });

  it('answers valid JSON for response_format', async () => {
    const engine = new EndpointEngine({ profile });
    const object = JSON.parse(
      (await call(engine, { messages, response_format: { type: 'json_object' } })).body,
    );
    expect(JSON.parse(object.choices[0].message.content)).toHaveProperty('answer');
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, n: { type: 'integer' }, ok: { type: 'boolean' } },
    };
    const streamed = await call(engine, {
      messages,
      stream: true,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema } },
    });
    const content = streamed.body
      .split('\n\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => JSON.parse(line.slice(6)).choices[0]?.delta.content ?? '')
      .join('');
    expect(JSON.parse(content)).toMatchObject({ n: 0, ok: true });
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
});
