import { describe, expect, it } from 'vitest';
import { type EndpointOptions, type RouterOptions, resolveConfig } from './config.js';
import { ConfigError, TieredError } from './errors.js';

const edge: EndpointOptions = {
  id: 'edge-nyc',
  tier: 'edge',
  baseURL: 'http://10.0.0.5:8000/v1',
  model: 'qwen2.5-7b-instruct-q4',
  contextWindow: 8192,
};
const origin: EndpointOptions = {
  id: 'origin-1',
  tier: 'origin',
  baseURL: 'https://api.example.com/v1',
  model: 'gpt-4.1',
  contextWindow: 1_000_000,
};

/** Valid options with `patch` applied; `patch` may hold anything, as a JavaScript caller could. */
function options(patch: Record<string, unknown> = {}): RouterOptions {
  return { endpoints: [edge, origin], probes: false, ...patch } as RouterOptions;
}

/** The ConfigError `resolveConfig` throws for `value`. */
function configError(value: unknown): ConfigError {
  try {
    resolveConfig(value as RouterOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('Expected resolveConfig to throw');
}

function expectFailure(value: unknown, field: string, ...messageParts: string[]) {
  const error = configError(value);
  expect(error.code).toBe('config_invalid');
  expect(error.field).toBe(field);
  expect(error.message).toContain(`\`${field}\``);
  for (const part of messageParts) expect(error.message).toContain(part);
  return error;
}

describe('resolveConfig: errors name the field, what was expected and what was given', () => {
  it('uses the house style for a bad number', () => {
    const endpoints = [edge, origin, { ...edge, id: 'edge-2', contextWindow: -1 }];
    const error = configError(options({ endpoints }));
    expect(error.field).toBe('endpoints[2].contextWindow');
    expect(error.message).toBe(
      'Expected `endpoints[2].contextWindow` to be a positive integer, got `-1` (number)',
    );
  });

  it('is a ConfigError with code config_invalid that TieredError.isInstance recognises', () => {
    const error = configError(null);
    expect(error.code).toBe('config_invalid');
    expect(error.name).toBe('ConfigError');
    expect(TieredError.isInstance(error)).toBe(true);
  });

  it.each([
    ['null', null, '`null`'],
    ['a string', 'edge', '`"edge"` (string)'],
    ['an array', [edge], 'an array of 1'],
    ['undefined', undefined, '`undefined` (undefined)'],
  ])('refuses options that are %s', (_name, value, given) => {
    expectFailure(value, 'options', 'an object', given);
  });

  it.each([
    ['missing', undefined, '`undefined` (undefined)'],
    ['empty', [], 'an array of 0'],
    ['not an array', { a: edge }, 'an object'],
  ])('refuses endpoints that are %s', (_name, endpoints, given) => {
    expectFailure({ endpoints }, 'endpoints', 'a non-empty array', given);
  });

  it('refuses an endpoint that is not an object', () => {
    expectFailure(
      options({ endpoints: [edge, 42], tiers: ['edge'] }),
      'endpoints[1]',
      'an object',
      '`42` (number)',
    );
  });

  // Bug: with `tiers` inferred, the tier-inference loop (config.ts:258) validates `.tier` of a
  // value that is not an object, so the error blames `endpoints[1].tier` ("got `undefined`")
  // instead of saying `endpoints[1]` should be an object and got `42`.
  it('refuses an endpoint that is not an object when tiers are inferred', () => {
    expectFailure(options({ endpoints: [edge, 42] }), 'endpoints[1]', 'an object', '`42` (number)');
  });

  it('refuses duplicate endpoint ids, naming the id', () => {
    const endpoints = [edge, { ...origin, id: 'edge-nyc' }];
    expectFailure(options({ endpoints }), 'endpoints[1].id', 'unique', '"edge-nyc"');
  });

  it('refuses an endpoint whose tier is not in `tiers`, listing the tiers', () => {
    const endpoints = [edge, { ...origin, tier: 'cloud' }];
    expectFailure(
      options({ endpoints, tiers: ['edge', 'origin'] }),
      'endpoints[1].tier',
      '"edge", "origin"',
      '"cloud"',
    );
  });

  it('refuses a tier in `tiers` that has no endpoint', () => {
    const error = expectFailure(
      options({ tiers: ['edge', 'regional', 'origin'] }),
      'tiers[1]',
      '"regional"',
      'at least one endpoint',
      'none',
    );
    expect(error.message).not.toContain('"edge"');
  });

  it('refuses duplicate tiers', () => {
    expectFailure(
      options({ tiers: ['edge', 'origin', 'edge'] }),
      'tiers',
      'no duplicates',
      '"edge"',
    );
  });

  it.each([
    ['empty', [], 'an array of 0'],
    ['not an array', 'edge', '`"edge"` (string)'],
  ])('refuses tiers that are %s', (_name, tiers, given) => {
    expectFailure(options({ tiers }), 'tiers', 'a non-empty array', given);
  });

  it('refuses a tier name that is not a string', () => {
    expectFailure(
      options({ tiers: ['edge', 7] }),
      'tiers[1]',
      'a non-empty string',
      '`7` (number)',
    );
  });

  it('refuses an endpoint without a tier even when tiers are inferred', () => {
    const { tier: _tier, ...noTier } = origin;
    expectFailure({ endpoints: [edge, noTier] }, 'endpoints[1].tier', 'a non-empty string');
  });

  it.each([
    ['id', ''],
    ['model', undefined],
    ['baseURL', 5],
  ])('refuses a missing or empty endpoint %s', (key, value) => {
    const endpoints = [edge, { ...origin, [key]: value }];
    expectFailure(options({ endpoints }), `endpoints[1].${key}`, 'a non-empty string');
  });

  it.each([
    ['contextWindow', 0, '`0` (number)'],
    ['contextWindow', -1, '`-1` (number)'],
    ['contextWindow', 8192.5, '`8192.5` (number)'],
    ['contextWindow', '8192', '`"8192"` (string)'],
    ['maxConcurrency', 0, '`0` (number)'],
    ['maxConcurrency', 1.5, '`1.5` (number)'],
    ['maxConcurrency', Number.NaN, '`NaN` (number)'],
  ])('refuses endpoint %s = %s', (key, value, given) => {
    const endpoints = [edge, { ...origin, [key]: value }];
    expectFailure(options({ endpoints }), `endpoints[1].${key}`, 'a positive integer', given);
  });

  it('refuses a router-wide maxConcurrency that is not a positive integer', () => {
    expectFailure(options({ maxConcurrency: -3 }), 'maxConcurrency', 'a positive integer', '`-3`');
  });

  it.each([
    ['unparsable', 'not a url'],
    ['relative', '/v1'],
    ['not http(s)', 'ftp://files.example.com/v1'],
    ['a file URL', 'file:///etc/passwd'],
  ])('refuses a baseURL that is %s', (_name, baseURL) => {
    const endpoints = [{ ...edge, baseURL }, origin];
    expectFailure(
      options({ endpoints }),
      'endpoints[0].baseURL',
      'an absolute http(s) URL',
      JSON.stringify(baseURL),
    );
  });

  it.each(['inputPerMTok', 'outputPerMTok'])('refuses a negative price.%s', (key) => {
    const price = { inputPerMTok: 1, outputPerMTok: 2, [key]: -0.5 };
    const endpoints = [edge, { ...origin, price }];
    expectFailure(
      options({ endpoints }),
      `endpoints[1].price.${key}`,
      'a number ≥ 0',
      '`-0.5` (number)',
    );
  });

  it.each([
    ['top level', { retires: { maxAttempts: 2 } }, 'retires', '`retry`'],
    ['in retry', { retry: { foo: 1 } }, 'retry.foo', '`maxAttempts`'],
    ['in timeouts', { timeouts: { stall: 1 } }, 'timeouts.stall', '`stallMs`'],
    ['in health', { health: { cooldown: 1 } }, 'health.cooldown', '`cooldownMs`'],
    ['in estimate', { estimate: { margin: 1 } }, 'estimate.margin', '`contextMargin`'],
    ['in priors', { priors: { ttft: 1 } }, 'priors.ttft', '`ttftMs`'],
    ['in probes', { probes: { interval: 1 } }, 'probes.interval', '`intervalMs`'],
    ['in hedge', { hedge: { delay: 1 } }, 'hedge.delay', '`delayMs`'],
  ])('refuses an unknown option key (%s)', (_where, patch, field, known) => {
    expectFailure(options(patch), field, 'Unknown option', known);
  });

  it('refuses a typo in an endpoint key', () => {
    const { contextWindow: _cw, ...rest } = origin;
    const endpoints = [edge, { ...rest, contextWindo: 128_000 }];
    expectFailure(
      options({ endpoints }),
      'endpoints[1].contextWindo',
      'Unknown option',
      '`contextWindow`',
    );
  });

  it('refuses unknown keys in an endpoint price and capabilities', () => {
    expectFailure(
      options({ endpoints: [edge, { ...origin, price: { input: 1 } }] }),
      'endpoints[1].price.input',
      '`inputPerMTok`',
    );
    expectFailure(
      options({ endpoints: [edge, { ...origin, capabilities: { json: false } }] }),
      'endpoints[1].capabilities.json',
      '`jsonSchema`',
    );
  });

  it('refuses a capability that is not a boolean', () => {
    const endpoints = [{ ...edge, capabilities: { tools: 'no' } }, origin];
    expectFailure(options({ endpoints }), 'endpoints[0].capabilities.tools', 'a boolean', '`"no"`');
  });

  it('refuses a header value that is not a string', () => {
    const endpoints = [{ ...edge, headers: { 'X-Region': 1 } }, origin];
    expectFailure(
      options({ endpoints }),
      'endpoints[0].headers.X-Region',
      'a string',
      '`1` (number)',
    );
  });

  it('refuses an id equal to another tier’s name', () => {
    const endpoints = [{ ...edge, id: 'origin' }, origin];
    expectFailure(
      options({ endpoints }),
      'endpoints[0].id',
      'differ from the other tiers',
      '"origin"',
    );
  });

  it('allows an id equal to its own tier’s name', () => {
    const endpoints = [edge, { ...origin, id: 'origin' }];
    const config = resolveConfig(options({ endpoints }));
    expect(config.endpoints.map((e) => e.id)).toEqual(['edge-nyc', 'origin']);
  });

  it.each(['fetch', 'now', 'random'])('refuses a %s that is not a function', (key) => {
    expectFailure(options({ [key]: 'yes' }), key, 'a function', '`"yes"` (string)');
  });

  it.each([
    ['slack', { slack: 0.5 }, 'a number ≥ 1, got `0.5` (number)'],
    ['slack', { slack: Number.NaN }, 'a number ≥ 1'],
    ['slack', { slack: '2' }, 'a number ≥ 1'],
    ['retry.maxAttempts', { retry: { maxAttempts: 0 } }, 'an integer ≥ 1'],
    ['retry.retries', { retry: { retries: 1.5 } }, 'an integer ≥ 0'],
    ['retry.minDelayMs', { retry: { minDelayMs: -1 } }, 'a number ≥ 0'],
    ['retry.maxDelayMs', { retry: { minDelayMs: 500, maxDelayMs: 100 } }, 'a number ≥ 500'],
    ['retry.budgetRatio', { retry: { budgetRatio: 11 } }, 'a number in [0, 10]'],
    ['retry.budgetWindowMs', { retry: { budgetWindowMs: 50 } }, 'a number ≥ 100'],
    ['timeouts.firstTokenFloorMs', { timeouts: { firstTokenFloorMs: 0 } }, 'a number ≥ 1'],
    ['timeouts.firstTokenMultiplier', { timeouts: { firstTokenMultiplier: 0.5 } }, '≥ 1'],
    ['timeouts.stallMs', { timeouts: { stallMs: Number.NaN } }, 'a number ≥ 1'],
    ['timeouts.totalMs', { timeouts: { totalMs: '10s' } }, 'a number ≥ 1'],
    ['health.ejectAfterFailures', { health: { ejectAfterFailures: 2.5 } }, 'an integer ≥ 1'],
    ['health.ejectErrorRate', { health: { ejectErrorRate: 1.5 } }, 'a number in [0, 1]'],
    ['health.minSamples', { health: { minSamples: 0 } }, 'an integer ≥ 1'],
    ['health.cooldownMs', { health: { cooldownMs: -1 } }, 'a number ≥ 0'],
    ['estimate.charsPerToken', { estimate: { charsPerToken: 0 } }, 'a number in [0.5, 16]'],
    // 56: what the old ratio-only calibration drifted to on short calls; no tokenizer gives it.
    ['estimate.charsPerToken', { estimate: { charsPerToken: 56 } }, 'a number in [0.5, 16]'],
    ['estimate.contextMargin', { estimate: { contextMargin: 2 } }, 'a number in [0, 1]'],
    ['estimate.defaultOutputTokens', { estimate: { defaultOutputTokens: 0 } }, 'an integer ≥ 1'],
    ['estimate.imageTokens', { estimate: { imageTokens: -800 } }, 'an integer ≥ 0'],
    ['priors.ttftMs', { priors: { ttftMs: -1 } }, 'a number ≥ 0'],
    ['probes.intervalMs', { probes: { intervalMs: 5 } }, 'a number ≥ 10'],
    ['probes.timeoutMs', { probes: { timeoutMs: 0 } }, 'a number ≥ 1'],
  ])('refuses a bad %s', (field, patch, expected) => {
    expectFailure(options(patch), field, expected);
  });

  it.each([
    ['retry', 3],
    ['timeouts', 'fast'],
    ['health', [1]],
    ['probes', true],
  ])('refuses %s that is not an object', (field, value) => {
    expectFailure(options({ [field]: value }), field, 'an object');
  });

  it.each([
    ['hedge', 'yes', 'a boolean or an object'],
    ['hedge.delayMs', { delayMs: -1 }, 'a number ≥ 0'],
    ['hedge.maxExtraLoad', { maxExtraLoad: 1.5 }, 'a number in [0, 1]'],
  ])('refuses a bad %s', (field, hedge, expected) => {
    expectFailure(options({ hedge }), field, expected);
  });

  it('never shows a whole object or array in the message', () => {
    const error = expectFailure(options({ tiers: { edge: 1 } }), 'tiers');
    expect(error.message).toContain('got an object');
    expect(error.message).not.toContain('edge: 1');
  });
});

describe('resolveConfig: defaults', () => {
  it('leaves slack unset (the queue-wait rule) and takes any number ≥ 1, Infinity included', () => {
    expect(resolveConfig(options()).slack).toBeUndefined();
    expect(resolveConfig(options({ slack: 1 })).slack).toBe(1);
    expect(resolveConfig(options({ slack: Number.POSITIVE_INFINITY })).slack).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('enables probes every 15 s by default, and `probes: false` turns them off', () => {
    const { probes: _off, ...noProbes } = options();
    expect(resolveConfig(noProbes).probes).toEqual({ intervalMs: 15_000, timeoutMs: 3_000 });
    expect(resolveConfig(options({ probes: {} })).probes).toEqual({
      intervalMs: 15_000,
      timeoutMs: 3_000,
    });
    expect(resolveConfig(options({ probes: { intervalMs: 1000 } })).probes).toEqual({
      intervalMs: 1000,
      timeoutMs: 3_000,
    });
    expect(resolveConfig(options({ probes: false })).probes).toBe(false);
  });

  it('orders tiers by first appearance unless given, and numbers them', () => {
    const endpoints = [
      { ...origin, id: 'o1' },
      { ...edge, id: 'e1' },
      { ...origin, id: 'o2' },
      { ...edge, id: 'e2', tier: 'regional' },
    ];
    const inferred = resolveConfig(options({ endpoints }));
    expect(inferred.tiers).toEqual(['origin', 'edge', 'regional']);
    expect(inferred.endpoints.map((e) => [e.id, e.tierIndex, e.index])).toEqual([
      ['o1', 0, 0],
      ['e1', 1, 1],
      ['o2', 0, 2],
      ['e2', 2, 3],
    ]);

    const given = resolveConfig(options({ endpoints, tiers: ['edge', 'regional', 'origin'] }));
    expect(given.tiers).toEqual(['edge', 'regional', 'origin']);
    expect(given.endpoints.map((e) => e.tierIndex)).toEqual([2, 0, 2, 1]);
  });

  it('builds each endpoint’s headers: authorization from its apiKey, keys lower-cased', () => {
    const endpoints = [
      { ...edge, apiKey: 'edge-key', headers: { 'X-Region': 'nyc', 'Content-Type': 'text/x' } },
      origin,
    ];
    const [e, o] = resolveConfig(options({ endpoints })).endpoints;
    expect(e?.headers).toEqual({
      'content-type': 'text/x',
      'x-region': 'nyc',
      authorization: 'Bearer edge-key',
    });
    // No key: no authorization header at all, and nothing of the other endpoint's.
    expect(o?.headers).toEqual({ 'content-type': 'application/json' });
  });

  it('lets apiKey win over an authorization header given by hand', () => {
    const endpoints = [{ ...edge, apiKey: 'k1', headers: { Authorization: 'Basic abc' } }, origin];
    const [e] = resolveConfig(options({ endpoints })).endpoints;
    expect(e?.headers.authorization).toBe('Bearer k1');
    expect(Object.keys(e?.headers ?? {})).not.toContain('Authorization');
  });

  it('removes trailing slashes from baseURL and derives chatURL and modelsURL', () => {
    const endpoints = [{ ...edge, baseURL: 'http://10.0.0.5:8000/v1//' }, origin];
    const [e, o] = resolveConfig(options({ endpoints })).endpoints;
    expect(e?.baseURL).toBe('http://10.0.0.5:8000/v1');
    expect(e?.chatURL).toBe('http://10.0.0.5:8000/v1/chat/completions');
    expect(e?.modelsURL).toBe('http://10.0.0.5:8000/v1/models');
    expect(o?.chatURL).toBe('https://api.example.com/v1/chat/completions');
  });

  it('takes responsesApi native or translate (the default), and refuses anything else', () => {
    const endpoints = [{ ...edge, responsesApi: 'native' as const }, origin];
    const [e, o] = resolveConfig(options({ endpoints })).endpoints;
    expect(e?.responsesApi).toBe('native');
    expect(e?.responsesURL).toBe('http://10.0.0.5:8000/v1/responses');
    expect(o?.responsesApi).toBe('translate');
    expectFailure(
      options({ endpoints: [{ ...edge, responsesApi: 'yes' as never }, origin] }),
      'endpoints[0].responsesApi',
      "`'native'` or `'translate'`",
      '`"yes"`',
    );
  });

  it('defaults capabilities to all true, price to free and concurrency to unlimited', () => {
    const endpoints = [{ ...edge, capabilities: { vision: false } }, origin];
    const config = resolveConfig(options({ endpoints }));
    const [e, o] = config.endpoints;
    expect(e?.capabilities).toEqual({ tools: true, jsonSchema: true, vision: false });
    expect(o?.capabilities).toEqual({ tools: true, jsonSchema: true, vision: true });
    expect(o?.price).toEqual({ inputPerMTok: 0, outputPerMTok: 0 });
    expect(o?.maxConcurrency).toBe(Number.POSITIVE_INFINITY);
    expect(config.maxConcurrency).toBe(Number.POSITIVE_INFINITY);
  });

  it('applies documented defaults for retry, timeouts, health, estimate, priors and hedge', () => {
    const config = resolveConfig(options());
    expect(config.retry).toEqual({
      maxAttempts: 4,
      retries: 2,
      minDelayMs: 250,
      maxDelayMs: 5000,
      maxRetryAfterMs: 60_000,
      budgetRatio: 0.2,
      budgetMinPerSec: 2,
      budgetWindowMs: 10_000,
    });
    expect(config.timeouts).toEqual({
      firstTokenFloorMs: 5000,
      firstTokenMultiplier: 4,
      stallMs: 30_000,
      totalMs: 600_000,
    });
    expect(config.health).toEqual({
      ejectAfterFailures: 3,
      ejectErrorRate: 0.5,
      minSamples: 10,
      cooldownMs: 5000,
      maxCooldownMs: 120_000,
    });
    expect(config.estimate).toEqual({
      charsPerToken: 4,
      contextMargin: 0.1,
      defaultOutputTokens: 256,
      imageTokens: 800,
    });
    expect(config.priors).toEqual({
      ttftMs: 300,
      timePerOutputTokenMs: 20,
      rttMs: 50,
      prefillTokensPerSec: 5_000,
    });
    expect(config.hedge).toBe(false);
  });

  it('raises the maxDelayMs default to minDelayMs when minDelayMs is larger', () => {
    expect(resolveConfig(options({ retry: { minDelayMs: 8000 } })).retry.maxDelayMs).toBe(8000);
  });

  it('resolves hedge: true to defaults and keeps given hedge options', () => {
    expect(resolveConfig(options({ hedge: true })).hedge).toEqual({
      delayMs: undefined,
      maxExtraLoad: 0.05,
    });
    expect(resolveConfig(options({ hedge: { delayMs: 400 } })).hedge).toEqual({
      delayMs: 400,
      maxExtraLoad: 0.05,
    });
    expect(resolveConfig(options({ hedge: false })).hedge).toBe(false);
  });

  it('keeps injected fetch, now and random', () => {
    const fetch = async () => new Response('{}');
    const now = () => 42;
    const random = () => 0.5;
    const config = resolveConfig(options({ fetch, now, random }));
    expect(config.fetch).toBe(fetch);
    expect(config.now()).toBe(42);
    expect(config.random()).toBe(0.5);
  });

  it('returns a frozen config, down to each endpoint and its headers', () => {
    const endpoints = [{ ...edge, apiKey: 'k' }, origin];
    const config = resolveConfig(options({ endpoints }));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.endpoints)).toBe(true);
    expect(Object.isFrozen(config.tiers)).toBe(true);
    expect(Object.isFrozen(config.retry)).toBe(true);
    expect(Object.isFrozen(config.endpoints[0])).toBe(true);
    expect(Object.isFrozen(config.endpoints[0]?.headers)).toBe(true);
    expect(Object.isFrozen(config.endpoints[0]?.price)).toBe(true);
    expect(() => {
      (config.endpoints[0]?.headers as Record<string, string>).authorization = 'Bearer stolen';
    }).toThrow(TypeError);
  });

  it('does not keep a reference to the caller’s mutable options', () => {
    const headers: Record<string, string> = { 'x-region': 'nyc' };
    const tiers = ['edge', 'origin'];
    const config = resolveConfig(options({ endpoints: [{ ...edge, headers }, origin], tiers }));
    headers['x-region'] = 'sfo';
    tiers.reverse();
    expect(config.endpoints[0]?.headers['x-region']).toBe('nyc');
    expect(config.tiers).toEqual(['edge', 'origin']);
  });
});

describe('resolveConfig: credentials in a URL', () => {
  it('refuses a baseURL with user:password, pointing to apiKey and headers', () => {
    let error: unknown;
    try {
      resolveConfig({
        endpoints: [
          {
            id: 'e',
            tier: 'edge',
            baseURL: 'https://user:secret@example.com/v1',
            model: 'm',
            contextWindow: 1,
          },
        ],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('endpoints[0].baseURL');
    expect((error as ConfigError).message).toMatch(/apiKey/);
    expect((error as ConfigError).message).not.toContain('secret');
  });
});
