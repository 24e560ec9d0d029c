import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { edgeProfile, type Lab, originProfile, startLab } from './two-tier.js';

let lab: Lab;
afterEach(async () => {
  await lab?.close();
});

const keyed = () =>
  startLab([
    edgeProfile('edge-1', { apiKey: 'edge-key-1' }),
    edgeProfile('edge-2', { apiKey: 'edge-key-2' }),
    originProfile({ apiKey: 'origin-key' }),
  ]);

describe('API keys', () => {
  it('each endpoint receives only its own key, through failover too', async () => {
    lab = await keyed();
    for (let i = 0; i < 10; i++) {
      await lab.router.chat.completions.create({
        messages: [{ role: 'user', content: `hi ${i}` }],
        max_tokens: 4,
      });
    }
    await lab.mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 503 } });
    await lab.mock.endpoint('edge-2').control({ faults: { errorRate: 1, errorStatus: 503 } });
    await lab.router.chat.completions.create({
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 4,
    });
    expect(lab.mock.endpoint('origin').stats().completed).toBeGreaterThanOrEqual(1);
    expect(lab.mock.endpoint('edge-1').stats().authorization).toEqual(['Bearer edge-key-1']);
    expect(lab.mock.endpoint('edge-2').stats().authorization).toEqual(['Bearer edge-key-2']);
    expect(lab.mock.endpoint('origin').stats().authorization).toEqual(['Bearer origin-key']);
  });

  it('caller headers cannot override an endpoint key', async () => {
    lab = await keyed();
    await lab.router.chat.completions.create(
      { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, model: 'origin' },
      { headers: { Authorization: 'Bearer stolen', 'X-Trace': 'abc' } },
    );
    expect(lab.mock.endpoint('origin').stats().authorization).toEqual(['Bearer origin-key']);
  });
});

describe('router.fetch under the official openai client', () => {
  const client = (lab: Lab) =>
    new OpenAI({
      baseURL: 'http://tiered.local/v1',
      apiKey: 'caller-secret',
      fetch: lab.router.fetch,
      maxRetries: 0,
    });

  it('routes completions and streams, with x-tiered-* response headers', async () => {
    lab = await keyed();
    const openai = client(lab);
    const { data, response } = await openai.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }], max_tokens: 6 })
      .withResponse();
    expect(data.choices[0]?.message.content).toMatch(/^edge-\d:/);
    expect(response.headers.get('x-tiered-tier')).toBe('edge');
    expect(response.headers.get('x-tiered-endpoint')).toMatch(/^edge-\d$/);
    // The request id the router sent upstream, so a caller can find the call in events and logs.
    const requestId = response.headers.get('x-tiered-request-id') as string;
    const served = lab.mock.endpoint(response.headers.get('x-tiered-endpoint') as string);
    expect(served.stats().byRequestId[requestId]).toBe(1);

    const stream = await openai.chat.completions.create({
      model: 'origin',
      messages: [{ role: 'user', content: 'stream' }],
      max_tokens: 6,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toMatch(/^origin:/);

    // The caller's Authorization never reached an endpoint.
    for (const e of lab.mock.endpoints) {
      expect(e.stats().authorization.join()).not.toContain('caller-secret');
    }
  });

  it('takes routing hints as x-tiered-* headers', async () => {
    lab = await keyed();
    const { response } = await client(lab)
      .chat.completions.create(
        { model: 'auto', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 },
        { headers: { 'x-tiered-endpoint': 'edge-2' } },
      )
      .withResponse();
    expect(response.headers.get('x-tiered-endpoint')).toBe('edge-2');
  });

  it('maps router errors to OpenAI errors the client raises', async () => {
    lab = await keyed();
    const error = await client(lab)
      .chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/unknown model "nope"/);
  });

  it('a stream cut mid-way errors the client stream instead of ending it', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    await lab.mock.endpoint('edge-1').control({ faults: { disconnectRate: 1 } });
    const stream = await client(lab).chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'stream' }],
      max_tokens: 10,
      stream: true,
    });
    const error = await (async () => {
      for await (const _chunk of stream) {
      }
    })().catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String(error.message ?? error)).toMatch(/cut|interrupted|terminated/i);
  });

  it('lists the routable model names at GET /models', async () => {
    lab = await keyed();
    const models = await client(lab).models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toEqual(
      expect.arrayContaining(['auto', 'edge', 'origin', 'edge-1', 'edge-model', 'origin-model']),
    );
  });
});

describe('router.fetch and trace context', () => {
  it('forwards the caller’s traceparent / tracestate / baggage upstream, and no other caller header', async () => {
    const sent: Headers[] = [];
    lab = await startLab(
      [edgeProfile('edge-1', { apiKey: 'edge-key-1' }), originProfile({ apiKey: 'origin-key' })],
      {
        // Records every upstream request's headers as the router sent them.
        fetch: (input, init) => {
          sent.push(new Headers(init?.headers));
          return globalThis.fetch(input, init);
        },
      },
    );
    const trace = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'vendor=opaque',
      baggage: 'tenant=acme',
    };
    const res = await lab.router.fetch('http://tiered.local/v1/chat/completions', {
      method: 'POST',
      headers: {
        ...trace,
        authorization: 'Bearer caller-secret',
        cookie: 'session=1',
        'x-private': 'do-not-forward',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
    });
    expect(res.status).toBe(200);
    await res.json();
    const requestId = res.headers.get('x-tiered-request-id') ?? '';
    expect(lab.mock.endpoint('edge-1').stats().traceHeaders).toEqual([{ requestId, ...trace }]);
    expect(lab.mock.endpoint('edge-1').stats().authorization).toEqual(['Bearer edge-key-1']);
    expect(sent).toHaveLength(1);
    expect([...(sent[0] as Headers).keys()].sort()).toEqual(
      [
        'authorization',
        'baggage',
        'content-type',
        'traceparent',
        'tracestate',
        'x-tiered-request-id',
      ].sort(),
    );

    // Without trace headers, nothing of the caller's goes upstream at all.
    await (
      await lab.router.fetch('http://tiered.local/v1/chat/completions', {
        method: 'POST',
        headers: { 'x-private': 'do-not-forward' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
      })
    ).json();
    expect([...(sent[1] as Headers).keys()].sort()).toEqual(
      ['authorization', 'content-type', 'x-tiered-request-id'].sort(),
    );
    expect(lab.mock.endpoint('edge-1').stats().traceHeaders).toHaveLength(1);
  });
});

describe('route.session', () => {
  it('joins calls to one session by id, through router.fetch too', async () => {
    lab = await startLab([edgeProfile('edge-1'), edgeProfile('edge-2'), originProfile()]);
    const session = lab.router.session({ id: 'agent-7' });
    await session.chat.completions.create({
      messages: [{ role: 'user', content: 'first' }],
      max_tokens: 4,
    });
    const sticky = Object.values(session.stats().affinity)[0];
    const client = new OpenAI({
      baseURL: 'http://tiered.local/v1',
      apiKey: 'x',
      fetch: lab.router.fetch,
      maxRetries: 0,
    });
    for (let i = 0; i < 4; i++) {
      const { response } = await client.chat.completions
        .create(
          { model: 'auto', messages: [{ role: 'user', content: `next ${i}` }], max_tokens: 4 },
          { headers: { 'x-tiered-session': 'agent-7' } },
        )
        .withResponse();
      expect(response.headers.get('x-tiered-endpoint')).toBe(sticky);
    }
    expect(session.stats().calls).toBe(5);
    // A new id gets a session of its own, kept by the router.
    await lab.router.chat.completions.create(
      { messages: [{ role: 'user', content: 'x' }], max_tokens: 4 },
      { route: { session: 'other' } },
    );
    expect(session.stats().calls).toBe(5);
  });

  it('refuses an unknown route option, naming it', async () => {
    lab = await startLab([edgeProfile('edge-1')]);
    const error = await lab.router.chat.completions
      .create({ messages: [{ role: 'user', content: 'x' }] }, { route: { tyer: 'edge' } as never })
      .catch((e) => e);
    expect(error.code).toBe('invalid_request');
    expect(error.param).toBe('route.tyer');
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(0);
  });
});
