import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { sampleFromSchema } from './sample-from-schema.js';

// ajv-formats is CommonJS: under NodeNext its default import is typed as the module object.
const addFormats = (formats as unknown as { default: typeof formats.default }).default;
const ajv2020 = new Ajv2020({ strict: false, allErrors: true });
const ajv07 = new Ajv({ strict: false, allErrors: true });
addFormats(ajv2020);
addFormats(ajv07);

/** An ajv check: draft-07 when the schema says so, else 2020-12. */
function validator(schema: Record<string, unknown>): (value: unknown) => void {
  const { $schema, ...rest } = schema;
  const ajv = String($schema).includes('draft-07') ? ajv07 : ajv2020;
  const validate = ajv.compile(rest);
  return (value) =>
    expect(validate(value), `${JSON.stringify(value)}: ${ajv.errorsText(validate.errors)}`).toBe(
      true,
    );
}

const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
  ...extra,
});

// Each schema is one shape that tools and structured outputs use; every sample must validate.
const table: [string, Record<string, unknown>][] = [
  [
    'strict tool (OpenAI strict: every property required, no extras)',
    object({
      city: { type: 'string', description: 'City name' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      days: { type: 'integer', minimum: 1, maximum: 7 },
      detailed: { type: 'boolean' },
    }),
  ],
  [
    'Vercel AI SDK / zod-to-json-schema output with $schema',
    {
      $schema: 'http://json-schema.org/draft-07/schema#',
      ...object({ location: { type: 'string' }, limit: { type: 'number' } }),
    },
  ],
  [
    'number bounds: exclusive, negative, multipleOf',
    object({
      share: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      below: { type: 'integer', minimum: -5, maximum: -3 },
      fives: { type: 'integer', minimum: 12, maximum: 40, multipleOf: 5 },
      cents: { type: 'number', minimum: 0, maximum: 3, multipleOf: 0.01 },
      tenths: { type: 'number', minimum: 0.25, maximum: 0.95, multipleOf: 0.1 },
      open: { type: 'integer', exclusiveMinimum: 1000 },
    }),
  ],
  [
    'const, nullable (type list and OpenAPI nullable)',
    object({
      kind: { const: 'search' },
      note: { type: ['string', 'null'] },
      count: { type: 'integer', nullable: true },
    }),
  ],
  [
    'nested objects and arrays with minItems / maxItems',
    object({
      query: object({ text: { type: 'string', minLength: 3 }, lang: { type: 'string' } }),
      filters: {
        type: 'array',
        minItems: 2,
        maxItems: 3,
        items: object({ field: { type: 'string' }, values: { type: 'array', items: {} } }),
      },
      matrix: { type: 'array', items: { type: 'array', items: { type: 'integer' }, minItems: 2 } },
    }),
  ],
  [
    'anyOf whose first branch is impossible; oneOf discriminated union',
    object({
      id: { anyOf: [{ type: 'string', minLength: 5, maxLength: 2 }, { type: 'integer' }] },
      shape: {
        oneOf: [
          object({ kind: { const: 'circle' }, r: { type: 'number', minimum: 0 } }),
          object({ kind: { const: 'square' }, side: { type: 'number' } }),
        ],
      },
      maybe: { anyOf: [{ type: 'string', format: 'date' }, { type: 'null' }] },
    }),
  ],
  [
    '$ref into $defs and definitions, with siblings',
    {
      ...object({
        owner: { $ref: '#/$defs/person' },
        friends: { type: 'array', items: { $ref: '#/definitions/person' }, minItems: 1 },
        boss: { $ref: '#/$defs/person', description: 'who decides' },
      }),
      $defs: {
        person: object({ name: { type: 'string' }, email: { type: 'string', format: 'email' } }),
      },
      definitions: { person: object({ name: { type: 'string' } }) },
    },
  ],
  [
    'recursive $ref: a tree and a linked list end',
    {
      ...object({ tree: { $ref: '#/$defs/node' }, list: { $ref: '#/$defs/cell' } }),
      $defs: {
        node: object({
          label: { type: 'string' },
          children: { type: 'array', items: { $ref: '#/$defs/node' } },
        }),
        cell: object({
          value: { type: 'integer' },
          next: { anyOf: [{ $ref: '#/$defs/cell' }, { type: 'null' }] },
        }),
      },
    },
  ],
  [
    'allOf merges; optional properties',
    {
      allOf: [
        { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        { properties: { b: { type: 'number', minimum: 10 } }, required: ['b'] },
        { properties: { a: { maxLength: 4 } } },
      ],
      properties: { c: { type: 'boolean' } },
    },
  ],
  [
    'string formats',
    object({
      at: { type: 'string', format: 'date-time' },
      day: { type: 'string', format: 'date' },
      time: { type: 'string', format: 'time' },
      email: { type: 'string', format: 'email' },
      site: { type: 'string', format: 'uri' },
      id: { type: 'string', format: 'uuid' },
      host: { type: 'string', format: 'hostname' },
      ip: { type: 'string', format: 'ipv4' },
      ip6: { type: 'string', format: 'ipv6' },
      span: { type: 'string', format: 'duration' },
    }),
  ],
  [
    'string lengths and simple patterns',
    object({
      code: { type: 'string', pattern: '^[A-Z]+$' },
      digits: { type: 'string', pattern: '^\\d+$' },
      slug: { type: 'string', pattern: '^[a-z]+(-[a-z]+)*$' },
      long: { type: 'string', minLength: 40 },
      short: { type: 'string', maxLength: 3 },
    }),
  ],
  [
    'tuples (2020-12 prefixItems) and uniqueItems',
    object({
      point: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], items: false },
      tags: { type: 'array', items: { enum: ['x', 'y', 'z'] }, minItems: 3, uniqueItems: true },
    }),
  ],
  [
    'draft-07 tuples (items list, additionalItems: false)',
    {
      $schema: 'http://json-schema.org/draft-07/schema#',
      ...object({
        pair: {
          type: 'array',
          items: [{ type: 'string' }, { type: 'boolean' }],
          additionalItems: false,
          minItems: 2,
        },
      }),
    },
  ],
  [
    'maps: minProperties with an additionalProperties schema, a required undeclared key',
    {
      type: 'object',
      required: ['total'],
      minProperties: 3,
      additionalProperties: { type: 'integer', minimum: 0 },
    },
  ],
  ['empty parameters object', { type: 'object', properties: {} }],
  ['a non-object root', { type: 'array', items: { type: 'string', format: 'uuid' }, minItems: 2 }],
];

describe('sampleFromSchema', () => {
  it.each(table)('%s: valid for seeds 1..20', (_name, schema) => {
    const check = validator(schema);
    for (let seed = 1; seed <= 20; seed++) check(sampleFromSchema(schema, { seed }));
  });

  it('fills every declared property, required or not, with a value of its type', () => {
    const value = sampleFromSchema(table[0]?.[1]) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['city', 'unit', 'days', 'detailed']);
    expect(typeof value.city).toBe('string');
    expect(['celsius', 'fahrenheit']).toContain(value.unit);
    expect(Number.isInteger(value.days)).toBe(true);
    const optional = sampleFromSchema({
      type: 'object',
      properties: { a: { type: 'integer' }, b: { type: 'boolean' } },
    });
    expect(optional).toEqual({ a: expect.any(Number), b: expect.any(Boolean) });
  });

  it('takes the first anyOf branch that can be satisfied', () => {
    const { id, maybe } = sampleFromSchema(table[5]?.[1]) as Record<string, unknown>;
    expect(Number.isInteger(id)).toBe(true);
    expect(maybe).toMatch(/^\d{4}-\d\d-\d\d$/);
  });

  it('ends recursion: a linked list finishes with null, a tree with leaves', () => {
    const { tree, list } = sampleFromSchema(table[7]?.[1]) as Record<string, unknown>;
    const length = (cell: unknown): number =>
      cell === null ? 0 : 1 + length((cell as { next: unknown }).next);
    expect(length(list)).toBeGreaterThan(0);
    expect(length(list)).toBeLessThan(10);
    expect(JSON.stringify(tree)).toContain('"children":[]');
  });

  it('is deterministic from the seed, and the seed matters', () => {
    const schema = table[9]?.[1];
    expect(sampleFromSchema(schema, { seed: 3 })).toEqual(sampleFromSchema(schema, { seed: 3 }));
    expect(sampleFromSchema(schema, { seed: 3 })).not.toEqual(
      sampleFromSchema(schema, { seed: 4 }),
    );
  });

  it('puts the given text in free-form strings only', () => {
    const value = sampleFromSchema(
      object({
        answer: { type: 'string' },
        at: { type: 'string', format: 'date' },
        tag: { enum: ['a'] },
      }),
      { text: 'edge-1: hello' },
    );
    expect(value).toMatchObject({ answer: 'edge-1: hello', tag: 'a' });
    expect((value as { at: string }).at).toMatch(/^\d{4}-/);
  });

  it('answers {} for a schema nothing satisfies, and for loops with no way out', () => {
    expect(sampleFromSchema(false)).toEqual({});
    expect(sampleFromSchema(object({ n: { type: 'integer', minimum: 5, maximum: 4 } }))).toEqual(
      {},
    );
    expect(sampleFromSchema(object({ e: { enum: [] } }))).toEqual({});
    expect(sampleFromSchema({ $ref: '#' })).toEqual({});
    expect(sampleFromSchema({ anyOf: [{ $ref: '#' }, { $ref: '#' }] })).toEqual({});
    expect(sampleFromSchema(object({ x: { $ref: 'https://example.com/remote.json' } }))).toEqual(
      {},
    );
  });

  it('sets a property named __proto__ as an own property', () => {
    const value = sampleFromSchema(object({ ['__proto__']: { type: 'integer' } }));
    expect(Object.keys(value as object)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});
