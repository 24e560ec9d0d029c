import { createMockHandlers } from '@tiered/mock-server/msw';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRouter, InvalidRequestError, type Router } from './index.js';

// Escalation runs in-process against msw handlers built on the mock engine (msw intercepts every
// fetch in this file, so it holds no real-server tests). One handler overrides the edge to answer
// with text that is not JSON, which the mock itself never does.
const mock = createMockHandlers({
  seed: 5,
  endpoints: [
    { id: 'edge-1', model: 'small', contextWindow: 8192, outputTokens: 6 },
    { id: 'origin', model: 'big', contextWindow: 128_000, outputTokens: 6 },
  ],
});
const server = setupServer(...mock.handlers);
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(async () => {
  server.resetHandlers();
  for (const e of mock.endpoints) await mock.endpoint(e.id).control({ reset: true });
  await router.close();
});
afterAll(() => server.close());

let router: Router;
const make = (options: Parameters<typeof createRouter>[0]['escalate'] = undefined) => {
  router = createRouter({
    probes: false,
    escalate: options,
    endpoints: [
      {
        id: 'edge-1',
        tier: 'edge',
        baseURL: 'http://edge-1.mock/v1',
        model: 'small',
        contextWindow: 8192,
      },
      {
        id: 'origin',
        tier: 'origin',
        baseURL: 'http://origin.mock/v1',
        model: 'big',
        contextWindow: 128_000,
      },
    ],
  });
  return router;
};
const ask = { messages: [{ role: 'user' as const, content: 'Give me JSON' }] };

describe('escalation', () => {
  it('route.accept returning false re-runs the call on the next tier', async () => {
    const r = make();
    const seen: string[] = [];
    const c = await r.chat.completions.create(ask, {
      route: {
        accept: (completion) => {
          seen.push(completion.model);
          return completion.model === 'big';
        },
      },
    });
    expect(c.model).toBe('big');
    // The last tier's answer is final: it is not put to `accept`.
    expect(seen).toEqual(['small']);
    expect(r.stats().totals.escalations).toBe(1);
    expect(mock.endpoint('edge-1').stats().completed).toBe(1);
    expect(mock.endpoint('origin').stats().completed).toBe(1);
    // Both answers were paid for.
    expect(r.stats().endpoints.map((e) => e.calls)).toEqual([1, 1]);
  });

  it('an answer that is not valid JSON escalates when the call asked for JSON', async () => {
    server.use(
      http.post('http://edge-1.mock/v1/chat/completions', () =>
        HttpResponse.json({
          id: 'x',
          object: 'chat.completion',
          created: 0,
          model: 'small',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: 'Sure! {"answer": ' },
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
        }),
      ),
    );
    const r = make({ onInvalidJson: true });
    const c = await r.chat.completions.create({ ...ask, response_format: { type: 'json_object' } });
    expect(c.model).toBe('big');
    expect(() => JSON.parse(c.choices[0]?.message.content ?? '')).not.toThrow();
    expect(r.stats().totals.escalations).toBe(1);
  });

  it('a valid JSON answer from the edge stays at the edge', async () => {
    const r = make({ onInvalidJson: true });
    const c = await r.chat.completions.create({ ...ask, response_format: { type: 'json_object' } });
    expect(c.model).toBe('small');
    expect(r.stats().totals.escalations).toBe(0);
  });

  it("escalates on finish_reason 'length' when configured", async () => {
    const r = make({ onLength: true });
    const c = await r.chat.completions.create({ ...ask, max_tokens: 2 });
    // The origin is the last tier: its answer is returned as it is, even cut at max_tokens.
    expect(c.model).toBe('big');
    expect(c.choices[0]?.finish_reason).toBe('length');
    expect(r.stats().totals.escalations).toBe(1);
  });

  it('refuses escalation on a stream', async () => {
    const r = make();
    const error = await r.chat.completions
      .create({ ...ask, stream: true }, { route: { accept: () => true } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(mock.endpoint('edge-1').stats().received).toBe(0);
  });
});
