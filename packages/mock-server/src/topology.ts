/** Faults injected into an endpoint's answers. Every rate is a probability per request, 0..1. */
export interface FaultProfile {
  /** Share of requests answered with `errorStatus`. @default 0 */
  errorRate?: number | undefined;
  /** HTTP status of injected errors, 400..599 (4xx come as `invalid_request_error`). @default 500 */
  errorStatus?: number | undefined;
  /** Share of requests answered 429 with a `Retry-After` header. @default 0 */
  rateLimitRate?: number | undefined;
  /** Seconds in the `Retry-After` header of injected 429s. @default 1 */
  retryAfterS?: number | undefined;
  /** Share of requests accepted and never answered (until the client aborts or the server closes). @default 0 */
  hangRate?: number | undefined;
  /** Share of requests whose connection is cut mid-body, or mid-stream after some chunks. @default 0 */
  disconnectRate?: number | undefined;
  /** Share of streams that pause for `stallMs` after the first content chunk. @default 0 */
  stallRate?: number | undefined;
  /** Length of an injected stall, in ms (scaled by `timeScale`). @default 5000 */
  stallMs?: number | undefined;
  /** Share of streams with one garbled `data:` line (invalid JSON) mid-stream. @default 0 */
  malformedRate?: number | undefined;
}

/** Settings of the prefix cache: a request whose prompt starts like a recent one prefills faster. */
export interface PrefixCacheProfile {
  /** How long a seen prefix stays cached, in ms (scaled by `timeScale`). @default 300000 */
  ttlMs?: number | undefined;
  /** How many times faster cached prompt tokens prefill. @default 10 */
  speedup?: number | undefined;
}

/** One simulated OpenAI-compatible endpoint. */
export interface EndpointProfile {
  /** Unique id; letters, digits, `.`, `_`, `-` (it becomes a host name in msw base URLs). */
  id: string;
  /** Port on 127.0.0.1; 0 or omitted = any free port. @default 0 */
  port?: number | undefined;
  /** Model id reported in responses and `GET /v1/models`. */
  model: string;
  /** Context window in tokens (prompt + requested output). */
  contextWindow: number;
  /** Network round trip, in ms, applied once before the response starts. @default 0 */
  rttMs?: number | undefined;
  /** Fixed part of the time to first token, in ms. @default 0 */
  ttftMs?: number | undefined;
  /** Prefill speed, prompt tokens per second. @default Infinity (instant) */
  prefillTokensPerSec?: number | undefined;
  /** Decode speed, output tokens per second. @default Infinity (instant) */
  decodeTokensPerSec?: number | undefined;
  /** Concurrent slots; requests beyond them wait in a FIFO queue. @default Infinity */
  maxConcurrency?: number | undefined;
  /** Sigma of the seeded log-normal multiplier on ttft and decode time; 0 = none. @default 0.1 */
  jitter?: number | undefined;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`, else 401. */
  apiKey?: string | undefined;
  /** Prefix cache: `true` for the defaults, or its settings. @default false */
  prefixCache?: boolean | PrefixCacheProfile | undefined;
  /** Natural completion length in tokens; `max_tokens` below it cuts it short. @default 64 */
  outputTokens?: number | undefined;
  /**
   * Chance, 0..1, that a request offering tools with `tool_choice` `'auto'` (or none) is answered
   * with tool calls rather than text; never when the conversation ends with tool results. Forced
   * choices (`'required'`, a named function) always call, `'none'` never. Seeded from the topology
   * seed and the request, so the same request gets the same answer. @default 1
   */
  toolCallRate?: number | undefined;
  /** Outage: the listener is closed and connections are refused. @default false */
  down?: boolean | undefined;
  /** Injected faults. */
  faults?: FaultProfile | undefined;
}

/** A set of endpoints sharing a seed and a time scale. */
export interface Topology {
  /** Seed of every random draw (faults, jitter, content). @default 1 */
  seed?: number | undefined;
  /** Multiplies every delay: 0.01 runs 100× faster. @default 1 */
  timeScale?: number | undefined;
  /** The endpoints, each on its own port / base URL. */
  endpoints: EndpointProfile[];
}

/** A change to an endpoint's profile at run time, as taken by `control()` and `POST /__control`. */
export type ProfilePatch = Partial<Omit<EndpointProfile, 'id' | 'port'>> & {
  /** Clear the stats and restore the initial profile (before the rest of the patch applies). */
  reset?: boolean | undefined;
};

/** A topology, endpoint profile or patch that failed validation; `key` names the offending key. */
export class TopologyError extends Error {
  override readonly name = 'TopologyError';
  /** Stable error code. */
  readonly code = 'invalid_topology';
  /** Path of the bad key, like `endpoints[1].contextWindow`. */
  readonly key: string;

  constructor(key: string, problem: string, prefix = 'Invalid topology') {
    super(`${prefix}: \`${key}\` ${problem}`);
    this.key = key;
  }
}

type Check = (value: unknown) => string | undefined;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return String(value);
  }
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const number =
  (what: string, ok: (n: number) => boolean): Check =>
  (value) =>
    typeof value === 'number' && !Number.isNaN(value) && ok(value)
      ? undefined
      : `must be ${what}, got ${describe(value)}`;

const positiveInteger = number('a positive integer', (n) => Number.isInteger(n) && n > 0);
const nonNegative = number('a non-negative number', (n) => n >= 0 && Number.isFinite(n));
const positive = number('a positive number', (n) => n > 0);
const rate = number('a probability between 0 and 1', (n) => n >= 0 && n <= 1);
const port = number('an integer port 0..65535', (n) => Number.isInteger(n) && n >= 0 && n < 65536);
const integer = number('an integer', (n) => Number.isInteger(n));
const boolean: Check = (value) =>
  typeof value === 'boolean' ? undefined : `must be a boolean, got ${describe(value)}`;
const nonEmptyString: Check = (value) =>
  typeof value === 'string' && value.length > 0
    ? undefined
    : `must be a non-empty string, got ${describe(value)}`;
const endpointId: Check = (value) =>
  typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value)
    ? undefined
    : `must be a non-empty string of letters, digits, '.', '_' or '-', got ${describe(value)}`;

const faultChecks: Record<keyof FaultProfile, Check> = {
  errorRate: rate,
  errorStatus: number(
    'an integer HTTP status 400..599',
    (n) => Number.isInteger(n) && n >= 400 && n < 600,
  ),
  rateLimitRate: rate,
  retryAfterS: nonNegative,
  hangRate: rate,
  disconnectRate: rate,
  stallRate: rate,
  stallMs: nonNegative,
  malformedRate: rate,
};

const prefixCacheChecks: Record<keyof PrefixCacheProfile, Check> = {
  ttlMs: nonNegative,
  speedup: number('a number >= 1', (n) => n >= 1),
};

type ProfileKey = keyof EndpointProfile;
const profileChecks: Record<Exclude<ProfileKey, 'faults' | 'prefixCache'>, Check> = {
  id: endpointId,
  port,
  model: nonEmptyString,
  contextWindow: positiveInteger,
  rttMs: nonNegative,
  ttftMs: nonNegative,
  prefillTokensPerSec: positive,
  decodeTokensPerSec: positive,
  maxConcurrency: positiveInteger,
  jitter: nonNegative,
  apiKey: nonEmptyString,
  outputTokens: positiveInteger,
  toolCallRate: rate,
  down: boolean,
};

const join = (path: string, name: string): string => (path ? `${path}.${name}` : name);

class Validator {
  constructor(private readonly prefix: string) {}

  fail(key: string, problem: string): never {
    throw new TopologyError(key, problem, this.prefix);
  }

  record(value: unknown, key: string): Record<string, unknown> {
    if (!isRecord(value)) this.fail(key, `must be an object, got ${describe(value)}`);
    return value;
  }

  /** Checks every present key of `value` against `checks`; unknown keys are refused by name. */
  fields(value: Record<string, unknown>, checks: Record<string, Check>, path: string): void {
    for (const [name, field] of Object.entries(value)) {
      const key = join(path, name);
      const check = checks[name];
      if (!check) {
        this.fail(key, `is not a known key (known: ${Object.keys(checks).join(', ')})`);
      }
      if (field === undefined) continue;
      const problem = check(field);
      if (problem) this.fail(key, problem);
    }
  }

  profileFields(value: Record<string, unknown>, path: string, allowed: string[]): void {
    const checks: Record<string, Check> = {};
    for (const name of allowed) {
      const check = (profileChecks as Record<string, Check>)[name];
      if (check) checks[name] = check;
    }
    const { faults, prefixCache, ...rest } = value;
    const restChecks = { ...checks };
    // faults and prefixCache are nested objects, checked below; listed here so they count as known.
    restChecks.faults = () => undefined;
    restChecks.prefixCache = () => undefined;
    this.fields({ ...rest }, restChecks, path);
    if (faults !== undefined) {
      const key = join(path, 'faults');
      this.fields(this.record(faults, key), faultChecks, key);
    }
    if (prefixCache !== undefined && typeof prefixCache !== 'boolean') {
      const key = join(path, 'prefixCache');
      if (!isRecord(prefixCache)) {
        this.fail(key, `must be a boolean or an object, got ${describe(prefixCache)}`);
      }
      this.fields(prefixCache, prefixCacheChecks, key);
    }
  }
}

const TOPOLOGY_KEYS = ['seed', 'timeScale', 'endpoints'];
const ALL_PROFILE_KEYS = [...Object.keys(profileChecks), 'faults', 'prefixCache'];
const REQUIRED_PROFILE_KEYS = ['id', 'model', 'contextWindow'] as const;

/**
 * Validates an unknown value (parsed JSON, a literal) as a {@link Topology}. Unknown keys are
 * refused too, so a typo never silently falls back to a default.
 *
 * @throws {TopologyError} naming the first bad key, e.g.
 *   ``Invalid topology: `endpoints[1].contextWindow` must be a positive integer, got -5``
 * @example
 * const topology = parseTopology(JSON.parse(await readFile('topology.json', 'utf8')));
 */
export function parseTopology(value: unknown): Topology {
  const v = new Validator('Invalid topology');
  if (!isRecord(value)) {
    throw new TopologyError('(root)', `must be an object, got ${describe(value)}`);
  }
  const checks: Record<string, Check> = {
    seed: integer,
    timeScale: positive,
    endpoints: (e) =>
      Array.isArray(e) && e.length > 0
        ? undefined
        : `must be a non-empty array, got ${describe(e)}`,
  };
  for (const name of Object.keys(value)) {
    if (!TOPOLOGY_KEYS.includes(name)) {
      v.fail(name, `is not a known key (known: ${TOPOLOGY_KEYS.join(', ')})`);
    }
  }
  if (value.endpoints === undefined) v.fail('endpoints', 'is required');
  v.fields(value, checks, '');
  const endpoints = value.endpoints as unknown[];
  const seen = new Set<string>();
  endpoints.forEach((endpoint, i) => {
    const path = `endpoints[${i}]`;
    const record = v.record(endpoint, path);
    for (const name of REQUIRED_PROFILE_KEYS) {
      if (record[name] === undefined) v.fail(`${path}.${name}`, 'is required');
    }
    v.profileFields(record, path, ALL_PROFILE_KEYS);
    const id = record.id as string;
    if (seen.has(id)) v.fail(`${path}.id`, `must be unique, got ${describe(id)} twice`);
    seen.add(id);
  });
  return value as unknown as Topology;
}

/**
 * Validates a run-time change of a profile (`control()`, `POST /__control`): any profile key but
 * `id` and `port`, plus `reset`.
 *
 * @throws {TopologyError} naming the bad key.
 */
export function parseProfilePatch(value: unknown): ProfilePatch {
  const v = new Validator('Invalid profile patch');
  const record = v.record(value, '(root)');
  const { reset, ...rest } = record;
  if (reset !== undefined) {
    const problem = boolean(reset);
    if (problem) v.fail('reset', problem);
  }
  const allowed = ALL_PROFILE_KEYS.filter((k) => k !== 'id' && k !== 'port');
  for (const name of ['id', 'port']) {
    if (name in rest) v.fail(name, 'cannot be changed at run time');
  }
  v.profileFields(rest, '', allowed);
  return record as ProfilePatch;
}
