import { loremWord } from './internal/lorem.js';
import { mulberry32, type Rng } from './internal/rng.js';

/** Options of {@link sampleFromSchema}. */
export interface SampleOptions {
  /** Seed of the draws, when `random` is not given. @default 1 */
  readonly seed?: number | undefined;
  /** A uniform source in [0, 1) to draw from instead of `seed` (to share one with other draws). */
  readonly random?: (() => number) | undefined;
  /**
   * Text for free-form strings (no `format`, `enum`, `const`; a `pattern` it does not match is
   * tried with other candidates). @default one to three seeded lorem words
   */
  readonly text?: string | undefined;
}

type Schema = Record<string, unknown>;

/** A branch that cannot be satisfied: `anyOf` / `oneOf` move on to the next one. */
const FAIL: unique symbol = Symbol('fail');
type Failed = typeof FAIL;

/** Up to this depth every optional property is filled and arrays get at least one item. */
const FULL_DEPTH = 4;
/** Past this nesting depth a branch fails, so recursion ends in the branch that terminates. */
const MAX_DEPTH = 12;
/** Past this many `$ref` hops on one path a branch fails (a `$ref` can loop without nesting). */
const MAX_HOPS = 16;
/**
 * Schemas visited per call at most: a recursive schema with no way out would otherwise try every
 * combination of branches (2^depth); past the budget every branch fails and the fallback answers.
 */
const MAX_STEPS = 10_000;
/** Keys that say nothing about which values are valid: a `$ref` or branch beside them needs no merge. */
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', '$comment', '$defs']);

interface Context {
  readonly root: unknown;
  readonly random: Rng;
  readonly text: string | undefined;
  steps: number;
}

const isRecord = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;

const finite = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/**
 * A JSON value valid against a JSON Schema (draft-07 / 2020-12, the subset tool and structured-output
 * schemas use), deterministic from the seed — what the mock puts in tool call arguments and
 * structured content. Every declared property is filled (required ones always; optional ones up to
 * a depth of 4), `additionalProperties: false` / strict schemas included.
 *
 * Understood: `type` (also a list, and OpenAPI's `nullable`), `enum` (a seeded listed value),
 * `const`, `properties` / `required` / `additionalProperties` / `minProperties` / `maxProperties`,
 * `items` / `prefixItems` / `minItems` / `maxItems` / `uniqueItems`, `minimum` / `maximum` /
 * `exclusiveMinimum` / `exclusiveMaximum` / `multipleOf`, `minLength` / `maxLength`, `format`
 * (`date-time`, `date`, `time`, `email`, `uri`, `uuid`, `hostname`, `ipv4`, `ipv6`, `duration`),
 * `pattern` (only when one of a few stock strings matches it), `anyOf` / `oneOf` (the first branch
 * that can be satisfied; overlap between `oneOf` branches is not checked), `allOf` (merged), `$ref`
 * to `#`, `#/$defs/…`, `#/definitions/…` or any local JSON pointer (recursion ends in a terminating
 * branch). Ignored: `not`, `if` / `then` / `else`, `patternProperties`, `contains`, remote `$ref`s.
 * A schema nothing can satisfy (`false`, an empty `enum`, `minimum` above `maximum`) gives `{}`.
 *
 * Pure and cheap: no I/O, no validator, one pass over the schema.
 *
 * @example
 * sampleFromSchema(
 *   { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 7 } },
 *     required: ['city', 'days'], additionalProperties: false },
 *   { seed: 42 },
 * ); // { city: 'aliqua aute', days: 5 }
 */
export function sampleFromSchema(schema: unknown, options: SampleOptions = {}): unknown {
  const random = options.random ?? mulberry32(options.seed ?? 1);
  const value = sample(schema, { root: schema, random, text: options.text, steps: 0 }, 0, 0);
  return value === FAIL ? {} : value;
}

/** `depth`: nesting of the value being made; `hops`: `$ref`s followed on the way here. */
function sample(input: unknown, ctx: Context, depth: number, hops: number): unknown {
  const hop = hasRef(input) ? hops + 1 : hops;
  if (depth > MAX_DEPTH || hop > MAX_HOPS || ++ctx.steps > MAX_STEPS) return FAIL;
  const schema = flatten(input, ctx, hop);
  if (schema === FAIL) return FAIL;
  if ('const' in schema) return structuredClone(schema.const);
  if (Array.isArray(schema.anyOf)) return firstBranch(schema, 'anyOf', ctx, depth, hop);
  if (Array.isArray(schema.oneOf)) return firstBranch(schema, 'oneOf', ctx, depth, hop);
  const types = typesOf(schema, depth);
  if (Array.isArray(schema.enum)) {
    const declared = schema.type === undefined ? undefined : types;
    const values = schema.enum.filter((v) => declared === undefined || declared.some(isOf(v)));
    if (values.length === 0) return FAIL;
    return structuredClone(values[Math.floor(ctx.random() * values.length)]);
  }
  for (const type of types) {
    const value = ofType(type, schema, ctx, depth, hop);
    if (value !== FAIL) return value;
  }
  return FAIL;
}

/** Resolves a top-level `$ref` and merges `allOf`, so what is left is one plain schema. */
function flatten(input: unknown, ctx: Context, hops: number): Schema | Failed {
  if (input === false || hops > MAX_HOPS) return FAIL;
  // `true`, a missing schema or a malformed one: anything is valid, so whatever we make is.
  if (!isRecord(input)) return {};
  if (typeof input.$ref === 'string') {
    const { $ref, ...rest } = input;
    // Each hop counts, so `{ "$ref": "#" }` at the root ends instead of looping.
    const target = flatten(resolveRef(ctx.root, $ref), ctx, hops + 1);
    if (target === FAIL || !hasConstraints(rest)) return target;
    const siblings = flatten(rest, ctx, hops);
    return siblings === FAIL ? FAIL : mergeSchemas(target, siblings);
  }
  if (Array.isArray(input.allOf)) {
    const { allOf, ...rest } = input;
    let merged: Schema = rest;
    for (const part of allOf) {
      const flat = flatten(part, ctx, hops);
      if (flat === FAIL) return FAIL;
      merged = mergeSchemas(merged, flat);
    }
    return flatten(merged, ctx, hops);
  }
  return input;
}

function resolveRef(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return false; // remote refs are not fetched: the branch fails
  let node = root;
  for (const raw of ref.slice(2).split('/')) {
    let key: string;
    try {
      key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    } catch {
      return false;
    }
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isRecord(node) && Object.hasOwn(node, key)) node = node[key];
    else return false;
  }
  return node;
}

const hasConstraints = (schema: Schema): boolean =>
  Object.keys(schema).some((key) => !ANNOTATIONS.has(key));

const hasRef = (schema: unknown): boolean => isRecord(schema) && '$ref' in schema;

function firstBranch(
  schema: Schema,
  key: 'anyOf' | 'oneOf',
  ctx: Context,
  depth: number,
  hops: number,
): unknown {
  const { [key]: list, ...base } = schema;
  const branches = list as unknown[];
  // Deep down, try the branches that do not recurse first (`null` ends a linked list).
  const ordered =
    depth < FULL_DEPTH
      ? branches
      : [...branches.filter((b) => !hasRef(b)), ...branches.filter(hasRef)];
  const merge = hasConstraints(base);
  for (const branch of ordered) {
    const value = sample(merge ? { allOf: [base, branch] } : branch, ctx, depth, hops);
    if (value !== FAIL) return value;
  }
  return FAIL;
}

/** The types to try, in order: the declared ones, else what the keywords imply; null last. */
function typesOf(schema: Schema, depth: number): string[] {
  const { type } = schema;
  let declared: string[];
  if (typeof type === 'string') declared = [type];
  else if (Array.isArray(type)) declared = type.filter((t): t is string => typeof t === 'string');
  else if (
    'properties' in schema ||
    'required' in schema ||
    'additionalProperties' in schema ||
    'minProperties' in schema
  )
    declared = ['object'];
  else if ('items' in schema || 'prefixItems' in schema || 'minItems' in schema)
    declared = ['array'];
  else if ('minimum' in schema || 'maximum' in schema || 'multipleOf' in schema)
    declared = ['number'];
  else declared = ['string']; // any value is valid: a short text says the most
  const nullable = declared.includes('null') || schema.nullable === true;
  const values = declared.filter((t) => t !== 'null');
  if (!nullable) return values;
  // Deep down, null ends a recursive structure; higher up a real value says more.
  return depth >= FULL_DEPTH ? ['null', ...values] : [...values, 'null'];
}

const isOf =
  (value: unknown) =>
  (type: string): boolean => {
    switch (type) {
      case 'null':
        return value === null;
      case 'integer':
        return Number.isInteger(value);
      case 'number':
        return typeof value === 'number';
      case 'array':
        return Array.isArray(value);
      case 'object':
        return isRecord(value);
      default:
        return typeof value === type;
    }
  };

function ofType(type: string, schema: Schema, ctx: Context, depth: number, hops: number): unknown {
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return ctx.random() < 0.5;
    case 'integer':
      return sampleNumber(schema, true, ctx.random);
    case 'number':
      return sampleNumber(schema, false, ctx.random);
    case 'string':
      return sampleString(schema, ctx);
    case 'array':
      return sampleArray(schema, ctx, depth, hops);
    case 'object':
      return sampleObject(schema, ctx, depth, hops);
    default:
      return FAIL;
  }
}

function sampleNumber(schema: Schema, integer: boolean, random: Rng): number | Failed {
  let lo = finite(schema.minimum);
  let hi = finite(schema.maximum);
  // Draft 4 writes exclusive bounds as booleans beside minimum / maximum; later drafts as numbers.
  let loOpen = schema.exclusiveMinimum === true && lo !== undefined;
  let hiOpen = schema.exclusiveMaximum === true && hi !== undefined;
  const exMin = finite(schema.exclusiveMinimum);
  const exMax = finite(schema.exclusiveMaximum);
  if (exMin !== undefined && (lo === undefined || exMin >= lo)) [lo, loOpen] = [exMin, true];
  if (exMax !== undefined && (hi === undefined || exMax <= hi)) [hi, hiOpen] = [exMax, true];
  // An open side gets a span of 100 from the other bound: plausible, small numbers.
  lo ??= hi === undefined ? 0 : hi - 100;
  hi ??= lo + 100;
  const multipleOf = finite(schema.multipleOf);
  const step = multipleOf !== undefined && multipleOf > 0 ? multipleOf : integer ? 1 : undefined;
  if (step === undefined) {
    if (lo > hi || ((loOpen || hiOpen) && lo === hi)) return FAIL;
    const value = Math.round((lo + random() * (hi - lo)) * 100) / 100;
    const inside = (loOpen ? value > lo : value >= lo) && (hiOpen ? value < hi : value <= hi);
    return inside ? value : (lo + hi) / 2;
  }
  let kLo = Math.ceil(lo / step);
  let kHi = Math.floor(hi / step);
  if (loOpen && kLo * step <= lo) kLo++;
  if (hiOpen && kHi * step >= hi) kHi--;
  if (kLo > kHi) return FAIL;
  const first = kLo + Math.floor(random() * (kHi - kLo + 1));
  // Validators test `value / multipleOf` for an integer in floating point (0.3 / 0.1 is not 3),
  // so walk to a multiple that passes that test, and is an integer when one is asked for.
  for (let i = 0; i <= Math.min(kHi - kLo, 64); i++) {
    const k = kLo + ((first - kLo + i) % (kHi - kLo + 1));
    const value = Number.isInteger(step) ? k * step : Number((k * step).toPrecision(12));
    if (Number.isInteger(value / step) && (!integer || Number.isInteger(value))) return value;
  }
  return FAIL;
}

function sampleString(schema: Schema, ctx: Context): string | Failed {
  const { random } = ctx;
  const min = count(schema.minLength) ?? 0;
  const max = count(schema.maxLength) ?? Number.POSITIVE_INFINITY;
  if (min > max) return FAIL;
  const formatted = typeof schema.format === 'string' ? sampleFormat(schema.format, random) : '';
  let value =
    formatted ||
    ctx.text ||
    Array.from({ length: 1 + Math.floor(random() * 3) }, () => loremWord(random)).join(' ');
  const pattern = typeof schema.pattern === 'string' ? regExp(schema.pattern) : undefined;
  if (pattern !== undefined && !pattern.test(value)) {
    const word = loremWord(random);
    const candidates = [
      word,
      word.toUpperCase(),
      `${word[0]?.toUpperCase()}${word.slice(1)}`,
      `${word}_${loremWord(random)}`,
      `${word}-${loremWord(random)}`,
      `${word}123`,
      '12345',
      '1',
      'ABC',
      'A1',
      sampleFormat('date', random),
      sampleFormat('date-time', random),
      sampleFormat('uuid', random),
      sampleFormat('email', random),
      sampleFormat('uri', random),
      '+15555550123',
    ];
    // No candidate matches: keep the text (a string that misses a pattern beats no value).
    value = candidates.find((c) => pattern.test(c) && c.length >= min && c.length <= max) ?? value;
  }
  const chars = Array.from(value); // lengths count code points, as JSON Schema does
  while (chars.length < min) chars.push(...` ${loremWord(random)}`);
  if (chars.length > max) chars.length = max;
  return chars.join('');
}

function regExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch {
      return undefined; // not a pattern JavaScript can read: ignore it
    }
  }
}

/** Cheap, seeded values for the common string formats; '' for a format we do not know. */
function sampleFormat(format: string, random: Rng): string {
  const day = 86_400_000;
  const iso = (): string =>
    new Date(Date.UTC(2024, 0, 1) + Math.floor(random() * 730 * day)).toISOString();
  const hex = (n: number): string =>
    Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  switch (format) {
    case 'date-time':
      return `${iso().slice(0, 19)}Z`;
    case 'date':
      return iso().slice(0, 10);
    case 'time':
      return `${iso().slice(11, 19)}Z`;
    case 'email':
    case 'idn-email':
      return `${loremWord(random)}.${loremWord(random)}@example.com`;
    case 'uri':
    case 'url':
    case 'iri':
    case 'uri-reference':
    case 'iri-reference':
      return `https://example.com/${loremWord(random)}`;
    case 'uuid': {
      const variant = '89ab'[Math.floor(random() * 4)];
      return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
    }
    case 'hostname':
    case 'idn-hostname':
      return `${loremWord(random)}.example.com`;
    case 'ipv4':
      return `10.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
    case 'ipv6':
      return `2001:db8::${hex(4)}`;
    case 'duration':
      return `P${1 + Math.floor(random() * 30)}D`;
    default:
      return '';
  }
}

function sampleArray(
  schema: Schema,
  ctx: Context,
  depth: number,
  hops: number,
): unknown[] | Failed {
  // 2020-12 tuples are `prefixItems` + `items`; draft-07 tuples are `items: [...]` + `additionalItems`.
  const tuple = Array.isArray(schema.prefixItems)
    ? schema.prefixItems
    : Array.isArray(schema.items)
      ? schema.items
      : [];
  const rest = Array.isArray(schema.prefixItems)
    ? schema.items
    : Array.isArray(schema.items)
      ? schema.additionalItems
      : schema.items;
  const min = count(schema.minItems) ?? 0;
  let max = count(schema.maxItems) ?? Number.POSITIVE_INFINITY;
  if (rest === false) max = Math.min(max, tuple.length);
  if (min > max) return FAIL;
  const n = Math.min(max, depth < FULL_DEPTH ? Math.max(min, tuple.length, 1) : min);
  const seen = schema.uniqueItems === true ? new Set<string>() : undefined;
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const itemSchema = i < tuple.length ? tuple[i] : rest;
    let item: unknown = FAIL;
    // Unique items: a few more draws to find a value not taken yet.
    for (let tries = 0; tries < (seen ? 8 : 1); tries++) {
      const value = sample(itemSchema, ctx, depth + 1, hops);
      if (value === FAIL) break;
      if (seen === undefined || !seen.has(JSON.stringify(value))) {
        item = value;
        break;
      }
    }
    if (item === FAIL) {
      if (i < min) return FAIL;
      break;
    }
    seen?.add(JSON.stringify(item));
    out.push(item);
  }
  return out;
}

function sampleObject(schema: Schema, ctx: Context, depth: number, hops: number): Schema | Failed {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = new Set(
    Array.isArray(schema.required)
      ? schema.required.filter((r): r is string => typeof r === 'string')
      : [],
  );
  const extra = schema.additionalProperties;
  const out: Schema = {};
  const optional: string[] = [];
  for (const [name, propertySchema] of Object.entries(properties)) {
    const isRequired = required.has(name);
    if (!isRequired && depth >= FULL_DEPTH) continue;
    const value = sample(propertySchema, ctx, depth + 1, hops);
    if (value === FAIL) {
      if (isRequired) return FAIL;
      continue;
    }
    set(out, name, value);
    if (!isRequired) optional.push(name);
  }
  // Required names without a declared schema, then padding to minProperties: both take
  // additionalProperties' schema, and are impossible when it is false.
  const undeclared = [...required].filter((name) => !Object.hasOwn(properties, name));
  const minProperties = count(schema.minProperties) ?? 0;
  for (let i = 1; undeclared.length > 0 || Object.keys(out).length < minProperties; i++) {
    if (extra === false) return FAIL;
    const name = undeclared.shift() ?? `key${i}`;
    if (Object.hasOwn(out, name)) continue;
    const value = sample(isRecord(extra) ? extra : {}, ctx, depth + 1, hops);
    if (value === FAIL) return FAIL;
    set(out, name, value);
  }
  const maxProperties = count(schema.maxProperties);
  if (maxProperties !== undefined) {
    while (Object.keys(out).length > maxProperties) {
      const name = optional.pop();
      if (name === undefined) return FAIL;
      delete out[name];
    }
  }
  return out;
}

/** Sets an own property, even one named `__proto__` (plain assignment would set the prototype). */
function set(target: Schema, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/**
 * Two schemas as one that both accept (`allOf`, a `$ref` with siblings, a branch with its base):
 * types intersect, bounds tighten, required lists join, shared properties and items nest as `allOf`.
 */
function mergeSchemas(a: Schema, b: Schema): Schema {
  const out: Schema = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const prev = out[key];
    if (prev === undefined) {
      out[key] = value;
      continue;
    }
    switch (key) {
      case 'type':
        out.type = intersectTypes(prev, value);
        break;
      case 'required':
        out.required = [...new Set([...asArray(prev), ...asArray(value)])];
        break;
      case 'properties': {
        const merged: Schema = { ...(isRecord(prev) ? prev : {}) };
        for (const [name, schema] of Object.entries(isRecord(value) ? value : {})) {
          set(
            merged,
            name,
            Object.hasOwn(merged, name) ? { allOf: [merged[name], schema] } : schema,
          );
        }
        out.properties = merged;
        break;
      }
      case 'minimum':
      case 'minLength':
      case 'minItems':
      case 'minProperties':
        out[key] = Math.max(Number(prev), Number(value));
        break;
      case 'maximum':
      case 'maxLength':
      case 'maxItems':
      case 'maxProperties':
        out[key] = Math.min(Number(prev), Number(value));
        break;
      case 'enum': {
        const keep = new Set(asArray(value).map((v) => JSON.stringify(v)));
        out.enum = asArray(prev).filter((v) => keep.has(JSON.stringify(v)));
        break;
      }
      case 'anyOf':
      case 'oneOf':
        // Both sides branch: each of one side's branches must also meet one of the other's.
        out[key] = asArray(prev).map((branch) => ({ allOf: [branch, { [key]: value }] }));
        break;
      case 'items':
      case 'additionalProperties':
      case 'additionalItems':
        out[key] = prev === false || value === false ? false : { allOf: [prev, value] };
        break;
      default:
        out[key] = value;
    }
  }
  return out;
}

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

function intersectTypes(a: unknown, b: unknown): string[] {
  const left = asArray(a).filter((t): t is string => typeof t === 'string');
  const right = new Set(asArray(b).filter((t): t is string => typeof t === 'string'));
  const out = new Set<string>();
  for (const type of left) {
    if (right.has(type)) out.add(type);
    else if (type === 'integer' && right.has('number')) out.add('integer');
    else if (type === 'number' && right.has('integer')) out.add('integer');
  }
  return [...out];
}
