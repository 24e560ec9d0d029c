import { ConfigError } from '../errors.js';

/** Renders a value for an error message: short, typed, never a whole object or a secret. */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `\`${JSON.stringify(shown)}\` (string)`;
  }
  if (value === null) return '`null`';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return `\`${String(value)}\` (${typeof value})`;
}

/** Throws the house-style ConfigError: "Expected `field` to be X, got `v` (type)". */
export function fail(field: string, expected: string, value: unknown): never {
  throw new ConfigError(field, `Expected \`${field}\` to be ${expected}, got ${describe(value)}`);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function optionalObject(field: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isObject(value)) fail(field, 'an object', value);
  return value;
}

export function requiredString(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) fail(field, 'a non-empty string', value);
  return value;
}

export function optionalString(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(field, 'a string', value);
  return value;
}

export function positiveInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    fail(field, 'a positive integer', value);
  }
  return value;
}

/** A number in [min, max]; `fallback` when undefined. */
export function numberIn(
  field: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.POSITIVE_INFINITY,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    const range =
      max === Number.POSITIVE_INFINITY
        ? `a number ≥ ${min}`
        : max === MAX_TIMER_MS
          ? `a number ≥ ${min} (ms, at most ${MAX_TIMER_MS})`
          : `a number in [${min}, ${max}]`;
    fail(field, range, value);
  }
  return value;
}

/** Node's timers fire at once past 2³¹−1 ms (about 24.8 days): no duration may exceed it. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A duration in ms, in [min, MAX_TIMER_MS]; `fallback` when undefined. */
export function msIn(field: string, value: unknown, fallback: number, min: number): number {
  return numberIn(field, value, fallback, min, MAX_TIMER_MS);
}

export function optionalFunction<T>(field: string, value: unknown, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') fail(field, 'a function', value);
  return value as T;
}

/** Rejects keys the options type does not have: a typo must not be silently ignored. */
export function noUnknownKeys(
  field: string,
  value: Record<string, unknown>,
  known: readonly string[],
) {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const where = field ? `${field}.${key}` : key;
      throw new ConfigError(
        where,
        `Unknown option \`${where}\`; expected one of: ${known.map((k) => `\`${k}\``).join(', ')}`,
      );
    }
  }
}
