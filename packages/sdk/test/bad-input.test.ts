import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createRouter,
  InvalidRequestError,
  type RouterOptions,
  type TieredError,
} from '../src/index.js';
import { edgeProfile, type Lab, originProfile, startLab } from './two-tier.js';

/**
 * Bad input, one row per case: session, batch and per-call options, and call bodies. Router
 * options are covered row by row in src/config.test.ts; only what it leaves out is here. Every
 * refusal is typed, names the field, and sends nothing upstream.
 */

let lab: Lab;
beforeAll(async () => {
  lab = await startLab([edgeProfile('edge-1'), originProfile()]);
});
afterAll(async () => {
  await lab?.close();
});

const messages = [{ role: 'user' as const, content: 'hi' }];
const received = () => lab.mock.endpoints.reduce((n, e) => n + e.stats().received, 0);

/** Runs `fn`, expects it to throw (or reject with) `cls`, and checks that nothing was sent. */
async function refused<E extends TieredError>(
  cls: new (...args: never[]) => E,
  fn: () => unknown,
): Promise<E> {
  const before = received();
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(cls);
  expect(received()).toBe(before);
  return error as E;
}

const endpoints = (): RouterOptions['endpoints'] => [
  {
    id: 'edge-1',
    tier: 'edge',
    baseURL: lab.mock.endpoint('edge-1').baseURL,
    model: 'edge-model',
    contextWindow: 2048,
  },
];

describe('router options not covered by config.test.ts', () => {
  it.each([
    ['hedge', { hedge: 'yes' }, 'hedge', 'a boolean or an object', '`"yes"` (string)'],
    ['hedge.delayMs', { hedge: { delayMs: -5 } }, 'hedge.delayMs', 'a number ≥ 0', '`-5`'],
    ['probes: true', { probes: true }, 'probes', 'an object', '`true` (boolean)'],
    [
      'escalate.onLength',
      { escalate: { onLength: 'yes' } },
      'escalate.onLength',
      'a boolean',
      '`"yes"`',
    ],
    ['escalate', { escalate: 1 }, 'escalate', 'an object', '`1` (number)'],
    ['tiers not an array', { tiers: 'edge' }, 'tiers', 'a non-empty array', '`"edge"`'],
  ])('%s', (_name, patch, field, expected, given) => {
    let error: unknown;
    try {
      createRouter({ endpoints: endpoints(), probes: false, ...patch } as RouterOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
    expect((error as ConfigError).message).toContain(`\`${field}\``);
    expect((error as ConfigError).message).toContain(expected);
    expect((error as ConfigError).message).toContain(given);
  });

  // Bug: config.ts validates every ms option with numberIn(…, min) and no upper bound, so
  // Infinity (a natural "no timeout") and anything above 2^31−1 ms pass; Node's setTimeout then
  // fires after 1 ms (TimeoutOverflowWarning). `timeouts.totalMs: Infinity` fails every call at
  // once with "TimeoutError … total timeout of Infinityms"; `firstTokenFloorMs` /
  // `firstTokenMultiplier: Infinity` time out every attempt and penalise healthy endpoints.
  it.each([
    ['timeouts.totalMs', { totalMs: Number.POSITIVE_INFINITY }],
    ['timeouts.totalMs', { totalMs: 3e9 }],
    ['timeouts.firstTokenFloorMs', { firstTokenFloorMs: Number.POSITIVE_INFINITY }],
  ])(
    '%s = %o is refused with a ConfigError or honoured, never a 1 ms timer',
    async (_f, timeouts) => {
      let router: ReturnType<typeof createRouter> | undefined;
      try {
        router = createRouter({
          endpoints: endpoints(),
          probes: false,
          timeouts,
          retry: { retries: 0 },
        });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return;
      }
      try {
        const c = await router.chat.completions.create({ messages, max_tokens: 2 });
        expect(c.choices).toHaveLength(1);
      } finally {
        await router.close();
      }
    },
  );
});

describe('session options', () => {
  it.each([
    ['budgetUsd -1', { budgetUsd: -1 }, 'session.budgetUsd', 'a number ≥ 0', '`-1` (number)'],
    ['budgetUsd string', { budgetUsd: '5' }, 'session.budgetUsd', 'a number ≥ 0', '`"5"`'],
    ['budgetUsd NaN', { budgetUsd: Number.NaN }, 'session.budgetUsd', 'a number', '`NaN`'],
    ['deadlineMs 0', { deadlineMs: 0 }, 'session.deadlineMs', 'a number ≥ 1', '`0` (number)'],
    ['deadlineMs -10', { deadlineMs: -10 }, 'session.deadlineMs', 'a number ≥ 1', '`-10`'],
    [
      'maxConcurrency 0',
      { maxConcurrency: 0 },
      'session.maxConcurrency',
      'a positive integer',
      '`0`',
    ],
    [
      'maxConcurrency 2.5',
      { maxConcurrency: 2.5 },
      'session.maxConcurrency',
      'a positive integer',
      '`2.5`',
    ],
    ['affinity string', { affinity: 'yes' }, 'session.affinity', 'a boolean', '`"yes"`'],
    ['id number', { id: 42 }, 'session.id', 'a string', '`42` (number)'],
    ['unknown key', { budget: 1 }, 'session.budget', 'Unknown option', '`budgetUsd`'],
    ['not an object', 'fast', 'session', 'an object', '`"fast"` (string)'],
    ['null', null, 'session', 'an object', '`null`'],
  ])('%s → ConfigError', async (_name, options, field, expected, given) => {
    const error = await refused(ConfigError, () => lab.router.session(options as never));
    expect(error.code).toBe('config_invalid');
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toContain(expected);
    expect(error.message).toContain(given);
  });
});

describe('batch options and bodies', () => {
  it('concurrency 0 → InvalidRequestError naming batch.concurrency', async () => {
    const session = lab.router.session();
    const error = await refused(InvalidRequestError, () =>
      session.batch([{ messages }], { concurrency: 0 }),
    );
    expect(error.param).toBe('batch.concurrency');
    expect(error.message).toContain('a positive integer, got `0`');
  });

  it('bodies not an array → InvalidRequestError naming bodies', async () => {
    const session = lab.router.session();
    const error = await refused(InvalidRequestError, () => session.batch({ messages } as never));
    expect(error.param).toBe('bodies');
  });

  it('a streaming body → InvalidRequestError naming bodies[i].stream; nothing of the batch is sent', async () => {
    const session = lab.router.session();
    const error = await refused(InvalidRequestError, () =>
      session.batch([{ messages }, { messages, stream: true } as never]),
    );
    expect(error.param).toBe('bodies[1].stream');
  });

  it('a bad priority rejects each call of the batch in place, and sends nothing', async () => {
    const session = lab.router.session();
    const before = received();
    const results = await session.batch([{ messages }, { messages }], {
      priority: 'urgent' as never,
    });
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const reason = (results[0] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(InvalidRequestError);
    expect(reason.param).toBe('route.priority');
    expect(received()).toBe(before);
  });

  it('a bad body rejects only its own slot of the batch', async () => {
    const session = lab.router.session();
    const results = await session.batch([{ messages, max_tokens: 2 }, { messages: [] }]);
    expect(results[0]?.status).toBe('fulfilled');
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidRequestError);
    expect((results[1] as PromiseRejectedResult).reason.param).toBe('messages');
  });
});

describe('per-call options', () => {
  it.each([
    ['route.tier unknown', { route: { tier: 'gpu' } }, 'route.tier', 'unknown tier "gpu"'],
    [
      'route.endpoint unknown',
      { route: { endpoint: 'edge-9' } },
      'route.endpoint',
      'unknown endpoint "edge-9"',
    ],
    ['route.priority string', { route: { priority: 'urgent' } }, 'route.priority', `got "urgent"`],
    ['route.priority NaN', { route: { priority: Number.NaN } }, 'route.priority', 'a number'],
    [
      'route.deadlineMs negative',
      { route: { deadlineMs: -5 } },
      'route.deadlineMs',
      'a positive number, got -5',
    ],
    [
      'route.deadlineMs string',
      { route: { deadlineMs: '100' } },
      'route.deadlineMs',
      'a positive number',
    ],
    ['route.slack below 1', { route: { slack: 0.5 } }, 'route.slack', 'a number ≥ 1, got `0.5`'],
    ['route.slack NaN', { route: { slack: Number.NaN } }, 'route.slack', 'got `NaN`'],
    ['route.slack string', { route: { slack: '2' } }, 'route.slack', 'a number ≥ 1'],
    ['timeout 0', { timeout: 0 }, 'timeout', 'a positive number of ms, got 0'],
    ['timeout negative', { timeout: -1 }, 'timeout', 'got -1'],
    ['timeout string', { timeout: '5s' }, 'timeout', 'got 5s'],
    ['timeout NaN', { timeout: Number.NaN }, 'timeout', 'got NaN'],
    ['route.hedge string', { route: { hedge: 'yes' } }, 'route.hedge', 'a boolean or an object'],
    [
      'route.hedge.delayMs negative',
      { route: { hedge: { delayMs: -1 } } },
      'route.hedge.delayMs',
      'a number ≥ 0',
    ],
    [
      'route.hedge unknown key',
      { route: { hedge: { delay: 5 } } },
      'route.hedge.delay',
      'Unknown option',
    ],
    [
      'route.hedge.maxExtraLoad > 1',
      { route: { hedge: { maxExtraLoad: 2 } } },
      'route.hedge.maxExtraLoad',
      'a number in [0, 1]',
    ],
    [
      'route.accept not a function',
      { route: { accept: true } },
      'route.accept',
      'a function, got boolean',
    ],
    ['route.escalate not an object', { route: { escalate: 'yes' } }, 'route.escalate', 'an object'],
    [
      'route.escalate.onLength not a boolean',
      { route: { escalate: { onLength: 1 } } },
      'route.escalate.onLength',
      'a boolean',
    ],
    [
      'route.escalate unknown key',
      { route: { escalate: { onRefusal: true } } },
      'route.escalate.onRefusal',
      'Unknown option',
    ],
  ])('%s → InvalidRequestError', async (_name, options, param, excerpt) => {
    const error = await refused(InvalidRequestError, () =>
      lab.router.chat.completions.create({ messages }, options as never),
    );
    expect(error.code).toBe('invalid_request');
    expect(error.param).toBe(param);
    expect(error.message).toContain(excerpt);
  });

  it('route.accept on a stream → InvalidRequestError (escalation needs a whole completion)', async () => {
    const error = await refused(InvalidRequestError, () =>
      lab.router.chat.completions.create(
        { messages, stream: true },
        { route: { accept: () => true } },
      ),
    );
    expect(error.param).toBe('route.accept');
  });

  // Bug: src/internal/priority.ts renders the value with JSON.stringify, which prints Infinity
  // (and NaN) as `null`: "must be … a number, got null" for a number the caller did give.
  it('route.priority Infinity: the message shows the value given', async () => {
    const error = await refused(InvalidRequestError, () =>
      lab.router.chat.completions.create(
        { messages },
        { route: { priority: Number.POSITIVE_INFINITY } },
      ),
    );
    expect(error.message).toContain('Infinity');
  });

  // Bug: create-router.ts `run` passes options.signal straight to linkAbort, which calls
  // `parent.addEventListener`: anything that is not an AbortSignal escapes as a raw TypeError,
  // not a TieredError ("Every error the router throws is a TieredError", errors.ts).
  it('signal that is not an AbortSignal → InvalidRequestError naming signal', async () => {
    const error = await refused(InvalidRequestError, () =>
      lab.router.chat.completions.create({ messages }, { signal: {} as AbortSignal }),
    );
    expect(error.param).toBe('signal');
  });

  // Bug: caller headers are copied as they are (tracked-attempt.ts headersFor); an invalid header
  // name or value makes fetch throw a TypeError before anything is sent, which attempt.ts
  // networkFailure classifies as a `connection` failure of the endpoint. The call then "fails
  // over" through every endpoint (AllAttemptsFailedError after maxAttempts) and each endpoint's
  // health is charged for the caller's mistake (enough of them eject healthy endpoints).
  it('an invalid caller header → InvalidRequestError naming headers, no endpoint charged', async () => {
    const errorsBefore = lab.router.stats().endpoints.reduce((n, e) => n + e.errors, 0);
    const error = await refused(InvalidRequestError, () =>
      lab.router.chat.completions.create({ messages }, { headers: { 'bad header': 'x' } }),
    );
    expect(error.param).toMatch(/^headers/);
    expect(lab.router.stats().endpoints.reduce((n, e) => n + e.errors, 0)).toBe(errorsBefore);
  });
});

describe('call bodies', () => {
  it.each([
    ['null', null, undefined, 'the body must be an object'],
    ['an array', [messages], undefined, 'the body must be an object'],
    ['a string', 'hi', undefined, 'the body must be an object'],
    ['no messages', {}, 'messages', '`messages` must be a non-empty array'],
    ['empty messages', { messages: [] }, 'messages', 'non-empty array'],
    ['messages a string', { messages: 'hi' }, 'messages', 'non-empty array'],
    ['a null message', { messages: [null] }, 'messages[0]', 'a string `role`'],
    ['a message without role', { messages: [{ content: 'x' }] }, 'messages[0]', '`role`'],
    [
      'a message with a numeric role',
      { messages: [messages[0], { role: 1, content: 'x' }] },
      'messages[1]',
      '`role`',
    ],
    ['model a number', { messages, model: 42 }, 'model', '`model` must be a string'],
    ['unknown model', { messages, model: 'gpt-5' }, 'model', 'unknown model "gpt-5"'],
    ['stream a string', { messages, stream: 'yes' }, 'stream', '`stream` must be a boolean'],
    ['max_tokens 0', { messages, max_tokens: 0 }, 'max_tokens', 'a positive integer, got 0'],
    ['max_tokens -1', { messages, max_tokens: -1 }, 'max_tokens', 'got -1'],
    ['max_tokens 1.5', { messages, max_tokens: 1.5 }, 'max_tokens', 'got 1.5'],
    ['max_tokens a string', { messages, max_tokens: '10' }, 'max_tokens', 'got "10"'],
    [
      'max_completion_tokens -3',
      { messages, max_completion_tokens: -3 },
      'max_completion_tokens',
      'got -3',
    ],
  ])('%s → InvalidRequestError', async (_name, body, param, excerpt) => {
    const error = await refused(InvalidRequestError, () =>
      lab.router.chat.completions.create(body as never),
    );
    expect(error.code).toBe('invalid_request');
    expect(error.param).toBe(param);
    expect(error.message).toContain(excerpt);
  });

  it('an unknown pinned model lists the choices (tiers, endpoint ids, models)', async () => {
    const error = await refused(InvalidRequestError, () =>
      lab.router.chat.completions.create({ messages, model: 'edge-9' }),
    );
    expect(error.message).toMatch(/"auto".*edge, origin.*edge-1, origin.*edge-model, origin-model/);
  });

  it('router.fetch: a body that is not JSON → 400 invalid_request, nothing sent', async () => {
    const before = received();
    const res = await lab.router.fetch('http://tiered.local/v1/chat/completions', {
      method: 'POST',
      body: '{"messages": [',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_request');
    expect(received()).toBe(before);
  });

  it.each(['fast', '', '0.9'])(
    'router.fetch: x-tiered-slack %j → 400 naming route.slack, nothing sent',
    async (value) => {
      const before = received();
      const res = await lab.router.fetch('http://tiered.local/v1/chat/completions', {
        method: 'POST',
        headers: { 'x-tiered-slack': value },
        body: JSON.stringify({ messages }),
      });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatchObject({
        code: 'invalid_request',
        param: 'route.slack',
      });
      expect(received()).toBe(before);
    },
  );

  it('router.fetch: a bad hint header → 400 with the param', async () => {
    const res = await lab.router.fetch('http://tiered.local/v1/chat/completions', {
      method: 'POST',
      headers: { 'x-tiered-deadline-ms': 'soon' },
      body: JSON.stringify({ messages }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({
      code: 'invalid_request',
      param: 'route.deadlineMs',
    });
  });
});
