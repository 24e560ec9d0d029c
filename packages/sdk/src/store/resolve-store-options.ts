import { fail, isObject, msIn, noUnknownKeys, optionalString } from '../internal/validate.js';
import type { StoreOptions, StoreSettings } from './state-store.js';

/**
 * Validates the options every store takes (`field` names them in errors, e.g. `redisStore`) and
 * applies the defaults. `extraKeys` are the store's own options.
 */
export function resolveStoreOptions(
  field: string,
  options: StoreOptions,
  extraKeys: readonly string[],
): { namespace: string; settings: StoreSettings } {
  if (!isObject(options)) fail(field, 'an options object', options);
  noUnknownKeys(field, options as Record<string, unknown>, [
    'namespace',
    'leaseMs',
    'syncIntervalMs',
    'timeoutMs',
    ...extraKeys,
  ]);
  const namespace = optionalString(`${field}.namespace`, options.namespace) ?? 'tiered';
  if (namespace === '' || /[\s{}]/.test(namespace)) {
    fail(`${field}.namespace`, 'a non-empty string without spaces or braces', namespace);
  }
  return {
    namespace,
    settings: Object.freeze({
      leaseMs: msIn(`${field}.leaseMs`, options.leaseMs, 10_000, 30),
      syncIntervalMs: msIn(`${field}.syncIntervalMs`, options.syncIntervalMs, 1_000, 10),
      timeoutMs: msIn(`${field}.timeoutMs`, options.timeoutMs, 250, 1),
    }),
  };
}
