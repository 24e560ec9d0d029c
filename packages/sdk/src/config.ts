import { ConfigError } from './errors.js';
import { secretsOf } from './internal/redact.js';
import {
  fail,
  isObject,
  msIn,
  noUnknownKeys,
  numberIn,
  optionalFunction,
  optionalObject,
  optionalString,
  positiveInteger,
  requiredString,
} from './internal/validate.js';
import { MAX_CHARS_PER_TOKEN, MIN_CHARS_PER_TOKEN } from './signals/prompt-token-fit.js';
import { STATE_STORE_OPERATIONS, type StateStore } from './store/state-store.js';
import type { Telemetry } from './telemetry.js';

/** A `fetch`-compatible function. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** USD per million tokens. */
export interface Price {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
}

/** What an endpoint's model can do. Every field defaults to `true`. */
export interface Capabilities {
  /** Function / tool calling. @default true */
  readonly tools?: boolean | undefined;
  /** `response_format: { type: 'json_schema' }`. @default true */
  readonly jsonSchema?: boolean | undefined;
  /** Image content parts. @default true */
  readonly vision?: boolean | undefined;
}

/** One OpenAI-compatible endpoint. (contract) */
export interface EndpointOptions {
  /** Unique id, used in events, stats, pins (`model: 'edge-nyc'`) and errors. */
  readonly id: string;
  /** Tier name, e.g. `'edge'` or `'origin'`. */
  readonly tier: string;
  /** Base URL up to and including `/v1`, e.g. `http://10.0.0.5:8000/v1`. */
  readonly baseURL: string;
  /** Sent as `Authorization: Bearer …` to this endpoint and nowhere else. */
  readonly apiKey?: string | undefined;
  /** The model name this endpoint receives upstream. */
  readonly model: string;
  /** Context window in tokens (prompt + output). */
  readonly contextWindow: number;
  /** Calls in flight at once on this endpoint; more wait in its queue. @default unlimited */
  readonly maxConcurrency?: number | undefined;
  /** Price in USD per million tokens, for cost stats and budgets. @default free */
  readonly price?: Price | undefined;
  /** Extra headers sent to this endpoint only. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** What the model supports. @default all true */
  readonly capabilities?: Capabilities | undefined;
  /**
   * How this endpoint takes OpenAI Responses API calls (`POST …/responses` through `router.fetch`):
   * `'native'` — it serves `POST {baseURL}/responses` itself (OpenAI, Azure OpenAI, …) and gets
   * the call as it is, answering in its own words; `'translate'` — the router translates the call
   * into a chat completion for it and the answer back. Only `'native'` endpoints take calls that
   * cannot be translated (`previous_response_id`, built-in tools, `background`, …). Chat
   * completion calls go to `{baseURL}/chat/completions` either way. @default 'translate'
   */
  readonly responsesApi?: 'native' | 'translate' | undefined;
}

/** Retries, failover and the retry budget. */
export interface RetryOptions {
  /** Attempts per call at most, failovers included. @default 4 */
  readonly maxAttempts?: number | undefined;
  /** Backoff rounds after every candidate has failed once. @default 2 */
  readonly retries?: number | undefined;
  /** First backoff delay in ms (doubles each round, randomized). @default 250 */
  readonly minDelayMs?: number | undefined;
  /** Longest backoff delay in ms. @default 5000 */
  readonly maxDelayMs?: number | undefined;
  /** Longest `Retry-After` honoured, in ms. @default 60000 */
  readonly maxRetryAfterMs?: number | undefined;
  /** Retry budget: share of recent calls that may be retried on the same tier. @default 0.2 */
  readonly budgetRatio?: number | undefined;
  /** Retry budget floor: retries per second always allowed per tier. @default 2 */
  readonly budgetMinPerSec?: number | undefined;
  /** Retry budget window in ms. @default 10000 */
  readonly budgetWindowMs?: number | undefined;
}

/** Timeouts. The first-token timeout adapts: max(floor, multiplier × predicted time to first token). */
export interface TimeoutOptions {
  /** Lower bound of the adaptive first-token timeout, in ms. @default 5000 */
  readonly firstTokenFloorMs?: number | undefined;
  /** Multiple of the endpoint's predicted time to first token. @default 4 */
  readonly firstTokenMultiplier?: number | undefined;
  /** Longest gap between two stream chunks, in ms. @default 30000 */
  readonly stallMs?: number | undefined;
  /** Whole-call timeout in ms (overridable per call with `options.timeout`). @default 600000 */
  readonly totalMs?: number | undefined;
}

/** Liveness and RTT probes (`GET {baseURL}/models` with the endpoint's key). */
export interface ProbeOptions {
  /** Mean interval between probes of one endpoint, in ms (jittered ±20%). @default 15000 */
  readonly intervalMs?: number | undefined;
  /** Probe timeout in ms. @default 3000 */
  readonly timeoutMs?: number | undefined;
}

/** When an endpoint is taken out of rotation. */
export interface HealthOptions {
  /** Consecutive failures that eject an endpoint. @default 3 */
  readonly ejectAfterFailures?: number | undefined;
  /** Recent error rate that ejects an endpoint (once `minSamples` calls were seen). @default 0.5 */
  readonly ejectErrorRate?: number | undefined;
  /** Calls seen before the error rate counts. @default 10 */
  readonly minSamples?: number | undefined;
  /** First ejection cool-down in ms; doubles while failures continue. @default 5000 */
  readonly cooldownMs?: number | undefined;
  /** Longest cool-down in ms. @default 120000 */
  readonly maxCooldownMs?: number | undefined;
}

/**
 * The token estimate: a line `intercept + chars / charsPerToken` learned per endpoint from the
 * counts it reports, no tokenizer.
 */
export interface EstimateOptions {
  /**
   * Starting characters-per-token ratio of the request JSON, in [0.5, 16]: the slope of the
   * prompt-token fit until prompts of varied size were seen. @default 4
   */
  readonly charsPerToken?: number | undefined;
  /**
   * Least safety margin on the prompt estimate when checking context fit, as a ratio; the margin
   * grows to the worst recent under-estimate an endpoint's counts showed. @default 0.1
   */
  readonly contextMargin?: number | undefined;
  /** Output tokens assumed when a call sets no `max_tokens`, until learned. @default 256 */
  readonly defaultOutputTokens?: number | undefined;
  /** Tokens counted per image part. @default 800 */
  readonly imageTokens?: number | undefined;
}

/** What a cold endpoint is assumed to do before it has been measured. */
export interface PriorOptions {
  /** Time to first token, in ms, before network RTT. @default 300 */
  readonly ttftMs?: number | undefined;
  /** Time per output token, in ms. @default 20 */
  readonly timePerOutputTokenMs?: number | undefined;
  /** Network RTT until a probe measures it, in ms. @default 50 */
  readonly rttMs?: number | undefined;
  /**
   * Prefill speed until learned, in prompt tokens per second: a cold endpoint's first-token
   * timeout grows with the prompt instead of cutting off a long prefill. @default 5000
   */
  readonly prefillTokensPerSec?: number | undefined;
}

/** Hedging: a second attempt when the first has no token by its endpoint's p95 TTFT. */
export interface HedgeOptions {
  /** Delay before hedging, in ms. @default the primary's p95 time to first token, at least 2 × its median */
  readonly delayMs?: number | undefined;
  /** Extra attempts as a share of calls over a sliding window. @default 0.05 */
  readonly maxExtraLoad?: number | undefined;
}

/** Escalation (cascade) triggers besides `route.accept`. */
export interface EscalateOptions {
  /** Re-run on the next tier when an answer stops at `max_tokens` (`finish_reason: 'length'`). @default false */
  readonly onLength?: boolean | undefined;
  /** Re-run on the next tier when a call asked for JSON and the answer does not parse. @default false */
  readonly onInvalidJson?: boolean | undefined;
}

/** Options of `createRouter`. (contract: `endpoints`, `tiers`) */
export interface RouterOptions {
  /** The endpoints to route among. */
  readonly endpoints: readonly EndpointOptions[];
  /** Tier preference order, cheapest/closest first. @default order of first appearance */
  readonly tiers?: readonly string[] | undefined;
  /** Calls in flight at once across all endpoints. @default unlimited */
  readonly maxConcurrency?: number | undefined;
  /**
   * Latency against cost, a number ≥ 1 (per call `route.slack`): a cheaper tier serves a call when
   * its predicted time is at most `slack` × the fastest fitting tier's. `1` always takes the
   * fastest tier; `Infinity` always the cheapest that fits (only a deadline moves calls up).
   * @default unset: a tier is left when its queue wait exceeds the next tier's predicted latency
   */
  readonly slack?: number | undefined;
  readonly retry?: RetryOptions | undefined;
  readonly timeouts?: TimeoutOptions | undefined;
  /** `false` turns probes off (tests). @default on, every 15 s */
  readonly probes?: ProbeOptions | false | undefined;
  readonly health?: HealthOptions | undefined;
  readonly estimate?: EstimateOptions | undefined;
  readonly priors?: PriorOptions | undefined;
  /** `true` hedges with defaults; per call `route.hedge` overrides. @default false */
  readonly hedge?: boolean | HedgeOptions | undefined;
  /** Automatic escalation to the next tier; per call `route.escalate` overrides. @default off */
  readonly escalate?: EscalateOptions | undefined;
  /**
   * Where state shared with other routers lives: endpoint slots, ejections and trials, retry and
   * session budgets, session affinity, latency signals. `redisStore({ url })` (from
   * `@tiered/sdk/redis`) shares it across processes and hosts; `memoryStore()` among routers of
   * one process. @default none: this router's state is its own
   */
  readonly store?: StateStore | undefined;
  /** The fetch used for every upstream request. @default `globalThis.fetch`, looked up per call */
  readonly fetch?: FetchLike | undefined;
  /** Monotonic clock in ms. @default `performance.now` */
  readonly now?: (() => number) | undefined;
  /** Random source in [0, 1). @default `Math.random` */
  readonly random?: (() => number) | undefined;
  /**
   * Traces and metrics for every call: `openTelemetry()` from `@tiered/sdk/otel`, or any
   * {@link Telemetry}. Without it nothing of the kind runs. @default off
   */
  readonly telemetry?: Telemetry | undefined;
}

/** An endpoint after validation, with what every attempt needs precomputed. */
export interface ResolvedEndpoint {
  readonly id: string;
  readonly tier: string;
  /** Position of the tier in preference order. */
  readonly tierIndex: number;
  readonly index: number;
  readonly baseURL: string;
  readonly chatURL: string;
  /** `{baseURL}/responses`, for Responses calls to a native endpoint. */
  readonly responsesURL: string;
  readonly modelsURL: string;
  /** Host of `baseURL`, for telemetry (`server.address`). */
  readonly serverAddress: string;
  /** Port of `baseURL`, or its scheme's default (`server.port`). */
  readonly serverPort: number;
  readonly model: string;
  readonly contextWindow: number;
  readonly maxConcurrency: number;
  readonly price: Price;
  readonly capabilities: Required<{ [K in keyof Capabilities]: boolean }>;
  readonly responsesApi: 'native' | 'translate';
  /** Authorization + the endpoint's own headers: sent to this endpoint only. */
  readonly headers: Readonly<Record<string, string>>;
  /** The key and credential-like header values, redacted from anything upstream says. */
  readonly secrets: readonly string[];
}

export interface ResolvedHedge {
  readonly delayMs: number | undefined;
  readonly maxExtraLoad: number;
}

export interface ResolvedConfig {
  readonly endpoints: readonly ResolvedEndpoint[];
  readonly tiers: readonly string[];
  readonly maxConcurrency: number;
  readonly slack: number | undefined;
  readonly retry: Required<{ [K in keyof RetryOptions]: number }>;
  readonly timeouts: Required<{ [K in keyof TimeoutOptions]: number }>;
  readonly probes: Required<{ [K in keyof ProbeOptions]: number }> | false;
  readonly health: Required<{ [K in keyof HealthOptions]: number }>;
  readonly estimate: Required<{ [K in keyof EstimateOptions]: number }>;
  readonly priors: Required<{ [K in keyof PriorOptions]: number }>;
  readonly hedge: ResolvedHedge | false;
  readonly escalate: Required<{ [K in keyof EscalateOptions]: boolean }>;
  readonly store: StateStore | undefined;
  readonly fetch: FetchLike;
  readonly now: () => number;
  readonly random: () => number;
  readonly telemetry: Telemetry | undefined;
}

const routerKeys = [
  'endpoints',
  'tiers',
  'maxConcurrency',
  'slack',
  'retry',
  'timeouts',
  'probes',
  'health',
  'estimate',
  'priors',
  'hedge',
  'escalate',
  'store',
  'fetch',
  'now',
  'random',
  'telemetry',
] as const;
const endpointKeys = [
  'id',
  'tier',
  'baseURL',
  'apiKey',
  'model',
  'contextWindow',
  'maxConcurrency',
  'price',
  'headers',
  'capabilities',
  'responsesApi',
] as const;

// Looked up per call so msw (which patches globalThis.fetch after import) can intercept.
const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init);

/**
 * Validates router options and applies every default, in this one place. Throws a `ConfigError`
 * naming the field, what was expected and what was given. Returns a frozen config.
 */
export function resolveConfig(options: RouterOptions): ResolvedConfig {
  if (!isObject(options)) fail('options', 'an object', options);
  noUnknownKeys('', options as Record<string, unknown>, routerKeys);
  const raw = options as Record<string, unknown>;

  if (!Array.isArray(raw.endpoints) || raw.endpoints.length === 0) {
    fail('endpoints', 'a non-empty array', raw.endpoints);
  }
  const rawEndpoints = raw.endpoints as unknown[];

  // Tier order: given, or by first appearance.
  let tiers: string[];
  if (raw.tiers === undefined) {
    tiers = [];
    for (const [i, e] of rawEndpoints.entries()) {
      if (!isObject(e)) fail(`endpoints[${i}]`, 'an object', e);
      const tier = requiredString(`endpoints[${i}].tier`, e.tier);
      if (!tiers.includes(tier)) tiers.push(tier);
    }
  } else {
    if (!Array.isArray(raw.tiers) || raw.tiers.length === 0) {
      fail('tiers', 'a non-empty array of tier names', raw.tiers);
    }
    tiers = (raw.tiers as unknown[]).map((t, i) => requiredString(`tiers[${i}]`, t));
    const dup = tiers.find((t, i) => tiers.indexOf(t) !== i);
    if (dup !== undefined) {
      throw new ConfigError(
        'tiers',
        `Expected \`tiers\` to have no duplicates, got "${dup}" twice`,
      );
    }
  }

  const ids = new Set<string>();
  const endpoints = rawEndpoints.map((e, i) => resolveEndpoint(e, i, tiers, ids));
  for (const [i, tier] of tiers.entries()) {
    if (!endpoints.some((e) => e.tier === tier)) {
      throw new ConfigError(
        `tiers[${i}]`,
        `Expected tier "${tier}" in \`tiers[${i}]\` to have at least one endpoint, got none`,
      );
    }
  }

  const retry = optionalObject('retry', raw.retry);
  noUnknownKeys('retry', retry, [
    'maxAttempts',
    'retries',
    'minDelayMs',
    'maxDelayMs',
    'maxRetryAfterMs',
    'budgetRatio',
    'budgetMinPerSec',
    'budgetWindowMs',
  ]);
  const timeouts = optionalObject('timeouts', raw.timeouts);
  noUnknownKeys('timeouts', timeouts, [
    'firstTokenFloorMs',
    'firstTokenMultiplier',
    'stallMs',
    'totalMs',
  ]);
  const health = optionalObject('health', raw.health);
  noUnknownKeys('health', health, [
    'ejectAfterFailures',
    'ejectErrorRate',
    'minSamples',
    'cooldownMs',
    'maxCooldownMs',
  ]);
  const estimate = optionalObject('estimate', raw.estimate);
  noUnknownKeys('estimate', estimate, [
    'charsPerToken',
    'contextMargin',
    'defaultOutputTokens',
    'imageTokens',
  ]);
  const priors = optionalObject('priors', raw.priors);
  noUnknownKeys('priors', priors, [
    'ttftMs',
    'timePerOutputTokenMs',
    'rttMs',
    'prefillTokensPerSec',
  ]);

  let probes: ResolvedConfig['probes'] = false;
  if (raw.probes !== false) {
    const p = optionalObject('probes', raw.probes);
    noUnknownKeys('probes', p, ['intervalMs', 'timeoutMs']);
    probes = Object.freeze({
      intervalMs: msIn('probes.intervalMs', p.intervalMs, 15_000, 10),
      timeoutMs: msIn('probes.timeoutMs', p.timeoutMs, 3_000, 1),
    });
  }

  let hedge: ResolvedConfig['hedge'] = false;
  if (raw.hedge !== undefined && raw.hedge !== false) {
    hedge = resolveHedge('hedge', raw.hedge);
  }

  const minDelayMs = msIn('retry.minDelayMs', retry.minDelayMs, 250, 0);
  const config: ResolvedConfig = {
    endpoints: Object.freeze(endpoints),
    tiers: Object.freeze(tiers),
    maxConcurrency:
      raw.maxConcurrency === undefined
        ? Number.POSITIVE_INFINITY
        : positiveInteger('maxConcurrency', raw.maxConcurrency),
    slack: raw.slack === undefined ? undefined : numberIn('slack', raw.slack, 1, 1),
    retry: Object.freeze({
      maxAttempts: integerIn('retry.maxAttempts', retry.maxAttempts, 4, 1),
      retries: integerIn('retry.retries', retry.retries, 2, 0),
      minDelayMs,
      maxDelayMs: msIn(
        'retry.maxDelayMs',
        retry.maxDelayMs,
        Math.max(5_000, minDelayMs),
        minDelayMs,
      ),
      maxRetryAfterMs: msIn('retry.maxRetryAfterMs', retry.maxRetryAfterMs, 60_000, 0),
      budgetRatio: numberIn('retry.budgetRatio', retry.budgetRatio, 0.2, 0, 10),
      budgetMinPerSec: numberIn('retry.budgetMinPerSec', retry.budgetMinPerSec, 2, 0),
      budgetWindowMs: msIn('retry.budgetWindowMs', retry.budgetWindowMs, 10_000, 100),
    }),
    timeouts: Object.freeze({
      firstTokenFloorMs: msIn('timeouts.firstTokenFloorMs', timeouts.firstTokenFloorMs, 5_000, 1),
      firstTokenMultiplier: numberIn(
        'timeouts.firstTokenMultiplier',
        timeouts.firstTokenMultiplier,
        4,
        1,
      ),
      stallMs: msIn('timeouts.stallMs', timeouts.stallMs, 30_000, 1),
      totalMs: msIn('timeouts.totalMs', timeouts.totalMs, 600_000, 1),
    }),
    probes,
    health: Object.freeze({
      ejectAfterFailures: integerIn('health.ejectAfterFailures', health.ejectAfterFailures, 3, 1),
      ejectErrorRate: numberIn('health.ejectErrorRate', health.ejectErrorRate, 0.5, 0, 1),
      minSamples: integerIn('health.minSamples', health.minSamples, 10, 1),
      cooldownMs: msIn('health.cooldownMs', health.cooldownMs, 5_000, 0),
      maxCooldownMs: msIn('health.maxCooldownMs', health.maxCooldownMs, 120_000, 0),
    }),
    estimate: Object.freeze({
      charsPerToken: numberIn(
        'estimate.charsPerToken',
        estimate.charsPerToken,
        4,
        MIN_CHARS_PER_TOKEN,
        MAX_CHARS_PER_TOKEN,
      ),
      contextMargin: numberIn('estimate.contextMargin', estimate.contextMargin, 0.1, 0, 1),
      defaultOutputTokens: integerIn(
        'estimate.defaultOutputTokens',
        estimate.defaultOutputTokens,
        256,
        1,
      ),
      imageTokens: integerIn('estimate.imageTokens', estimate.imageTokens, 800, 0),
    }),
    priors: Object.freeze({
      ttftMs: msIn('priors.ttftMs', priors.ttftMs, 300, 0),
      timePerOutputTokenMs: numberIn(
        'priors.timePerOutputTokenMs',
        priors.timePerOutputTokenMs,
        20,
        0,
      ),
      rttMs: msIn('priors.rttMs', priors.rttMs, 50, 0),
      prefillTokensPerSec: numberIn(
        'priors.prefillTokensPerSec',
        priors.prefillTokensPerSec,
        5_000,
        1,
      ),
    }),
    hedge,
    escalate: resolveEscalate('escalate', raw.escalate, { onLength: false, onInvalidJson: false }),
    store: resolveStore(raw.store),
    fetch: optionalFunction<FetchLike>('fetch', raw.fetch, globalFetch),
    now: optionalFunction('now', raw.now, () => performance.now()),
    random: optionalFunction('random', raw.random, Math.random),
    telemetry: resolveTelemetry(raw.telemetry),
  };
  return Object.freeze(config);
}

/** Validates `hedge` options (router-wide or per call). */
export function resolveHedge(field: string, value: unknown): ResolvedHedge {
  if (value === true) return { delayMs: undefined, maxExtraLoad: 0.05 };
  if (!isObject(value)) fail(field, 'a boolean or an object', value);
  noUnknownKeys(field, value, ['delayMs', 'maxExtraLoad']);
  return Object.freeze({
    delayMs:
      value.delayMs === undefined ? undefined : msIn(`${field}.delayMs`, value.delayMs, 0, 0),
    maxExtraLoad: numberIn(`${field}.maxExtraLoad`, value.maxExtraLoad, 0.05, 0, 1),
  });
}

/** Validates `escalate` options (router-wide or per call), over the given defaults. */
export function resolveEscalate(
  field: string,
  value: unknown,
  defaults: ResolvedConfig['escalate'],
): ResolvedConfig['escalate'] {
  if (value === undefined) return defaults;
  const o = optionalObject(field, value);
  noUnknownKeys(field, o, ['onLength', 'onInvalidJson']);
  for (const key of ['onLength', 'onInvalidJson'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean')
      fail(`${field}.${key}`, 'a boolean', o[key]);
  }
  return Object.freeze({
    onLength: (o.onLength as boolean | undefined) ?? defaults.onLength,
    onInvalidJson: (o.onInvalidJson as boolean | undefined) ?? defaults.onInvalidJson,
  });
}

const storeMethods = [...STATE_STORE_OPERATIONS, 'attach', 'detach'] as const;

function resolveStore(value: unknown): StateStore | undefined {
  if (value === undefined) return undefined;
  const expected = 'a state store (`memoryStore()` or `redisStore({ url })`)';
  if (!isObject(value)) fail('store', expected, value);
  const missing = storeMethods.find((m) => typeof value[m] !== 'function');
  const settings = value.settings;
  if (
    missing !== undefined ||
    typeof value.namespace !== 'string' ||
    !isObject(settings) ||
    typeof settings.leaseMs !== 'number'
  ) {
    throw new ConfigError(
      'store',
      `Expected \`store\` to be ${expected}, got an object${missing ? ` without \`${missing}()\`` : ' without `namespace` and `settings`'}`,
    );
  }
  return value as unknown as StateStore;
}

function resolveTelemetry(value: unknown): Telemetry | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || typeof value.startCall !== 'function') {
    fail('telemetry', 'a Telemetry (e.g. `openTelemetry()` from `@tiered/sdk/otel`)', value);
  }
  return value as unknown as Telemetry;
}

function integerIn(field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(field, `an integer ≥ ${min}`, value);
  }
  return value;
}

function resolveEndpoint(
  value: unknown,
  index: number,
  tiers: readonly string[],
  ids: Set<string>,
): ResolvedEndpoint {
  const at = `endpoints[${index}]`;
  if (!isObject(value)) fail(at, 'an object', value);
  noUnknownKeys(at, value, endpointKeys);

  const id = requiredString(`${at}.id`, value.id);
  if (ids.has(id)) {
    throw new ConfigError(`${at}.id`, `Expected \`${at}.id\` to be unique, got "${id}" twice`);
  }
  ids.add(id);

  const tier = requiredString(`${at}.tier`, value.tier);
  // `model: 'origin'` must mean one thing: an id may equal its own tier's name, not another's.
  if (id !== tier && tiers.includes(id)) {
    throw new ConfigError(
      `${at}.id`,
      `Expected \`${at}.id\` to differ from the other tiers' names, got "${id}" (a tier)`,
    );
  }
  const tierIndex = tiers.indexOf(tier);
  if (tierIndex < 0) {
    throw new ConfigError(
      `${at}.tier`,
      `Expected \`${at}.tier\` to be one of the tiers (${tiers.map((t) => `"${t}"`).join(', ')}), got "${tier}"`,
    );
  }

  const baseURLRaw = requiredString(`${at}.baseURL`, value.baseURL);
  let url: URL;
  try {
    url = new URL(baseURLRaw);
  } catch {
    fail(`${at}.baseURL`, 'an absolute http(s) URL', baseURLRaw);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(`${at}.baseURL`, 'an absolute http(s) URL', baseURLRaw);
  }
  if (url.username || url.password) {
    // Credentials in a URL end up in error messages and logs: they belong in apiKey or headers.
    throw new ConfigError(
      `${at}.baseURL`,
      `Expected \`${at}.baseURL\` to carry no credentials (user:password@); put them in \`apiKey\` or \`headers\``,
    );
  }
  const baseURL = baseURLRaw.replace(/\/+$/, '');

  const apiKey = optionalString(`${at}.apiKey`, value.apiKey);
  const model = requiredString(`${at}.model`, value.model);
  const contextWindow = positiveInteger(`${at}.contextWindow`, value.contextWindow);
  const maxConcurrency =
    value.maxConcurrency === undefined
      ? Number.POSITIVE_INFINITY
      : positiveInteger(`${at}.maxConcurrency`, value.maxConcurrency);

  let price: Price = { inputPerMTok: 0, outputPerMTok: 0 };
  if (value.price !== undefined) {
    const p = optionalObject(`${at}.price`, value.price);
    noUnknownKeys(`${at}.price`, p, ['inputPerMTok', 'outputPerMTok']);
    price = {
      inputPerMTok: numberIn(`${at}.price.inputPerMTok`, p.inputPerMTok, 0, 0),
      outputPerMTok: numberIn(`${at}.price.outputPerMTok`, p.outputPerMTok, 0, 0),
    };
  }

  const caps = optionalObject(`${at}.capabilities`, value.capabilities);
  noUnknownKeys(`${at}.capabilities`, caps, ['tools', 'jsonSchema', 'vision']);
  const capabilities = {
    tools: optionalBoolean(`${at}.capabilities.tools`, caps.tools),
    jsonSchema: optionalBoolean(`${at}.capabilities.jsonSchema`, caps.jsonSchema),
    vision: optionalBoolean(`${at}.capabilities.vision`, caps.vision),
  };

  const responsesApi = value.responsesApi ?? 'translate';
  if (responsesApi !== 'native' && responsesApi !== 'translate') {
    fail(`${at}.responsesApi`, "`'native'` or `'translate'`", value.responsesApi);
  }

  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const extra = optionalObject(`${at}.headers`, value.headers);
  for (const [name, v] of Object.entries(extra)) {
    if (typeof v !== 'string') fail(`${at}.headers.${name}`, 'a string', v);
    headers[name.toLowerCase()] = v;
  }
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  try {
    new Headers(headers);
  } catch {
    throw new ConfigError(
      `${at}.headers`,
      `Expected \`${at}.headers\` to hold valid header names and values (and \`apiKey\` to be a valid header value)`,
    );
  }

  return Object.freeze({
    id,
    tier,
    tierIndex,
    index,
    baseURL,
    chatURL: `${baseURL}/chat/completions`,
    responsesURL: `${baseURL}/responses`,
    modelsURL: `${baseURL}/models`,
    serverAddress: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    serverPort: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
    model,
    contextWindow,
    maxConcurrency,
    price: Object.freeze(price),
    capabilities: Object.freeze(capabilities),
    responsesApi,
    headers: Object.freeze(headers),
    secrets: Object.freeze(secretsOf(apiKey, headers)),
  });
}

function optionalBoolean(field: string, value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') fail(field, 'a boolean', value);
  return value;
}
