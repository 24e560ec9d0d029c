import { describe, expect, it } from 'vitest';
import { mulberry32 } from './internal/rng.js';
import { type PlannedToolCall, planToolCalls, type ToolCallRequest } from './plan-tool-calls.js';

const weather = {
  name: 'get_weather',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 3 } },
    required: ['city', 'days'],
    additionalProperties: false,
  },
};
const time = { name: 'get_time', parameters: undefined };
const search = { name: 'search', parameters: { type: 'array' } };

const request = (over: Partial<ToolCallRequest> = {}): ToolCallRequest => ({
  tools: [weather],
  toolChoice: 'auto',
  parallelToolCalls: true,
  endsWithToolResult: false,
  ...over,
});
const plan = (over: Partial<ToolCallRequest>, toolCallRate = 1, seed = 1): PlannedToolCall[] =>
  planToolCalls(request(over), { toolCallRate, random: mulberry32(seed) });
/** A random source that returns `first`, then seeded draws. */
const firstThen = (first: number) => {
  const rest = mulberry32(9);
  let used = false;
  return () => {
    if (used) return rest();
    used = true;
    return first;
  };
};

describe('planToolCalls', () => {
  it('calls nothing with no tools or tool_choice none', () => {
    expect(plan({ tools: [] })).toEqual([]);
    expect(plan({ toolChoice: 'none' })).toEqual([]);
  });

  it('calls a named function exactly once, with its required arguments', () => {
    const calls = plan({ tools: [weather, time, search], toolChoice: { name: 'get_weather' } });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.name).toBe('get_weather');
    const args = JSON.parse(calls[0]?.arguments ?? '');
    expect(Object.keys(args)).toEqual(['city', 'days']);
    expect(typeof args.city).toBe('string');
    expect([1, 2, 3]).toContain(args.days);
  });

  it("answers tool results in text under 'auto', but keeps calling when forced", () => {
    expect(plan({ endsWithToolResult: true })).toEqual([]);
    expect(plan({ endsWithToolResult: true, toolChoice: 'required' })).toHaveLength(1);
    expect(plan({ endsWithToolResult: true, toolChoice: { name: 'get_weather' } })).toHaveLength(1);
  });

  it("calls under 'auto' when the draw is below toolCallRate, always when required", () => {
    const at = (draw: number, rate: number, toolChoice: ToolCallRequest['toolChoice'] = 'auto') =>
      planToolCalls(request({ toolChoice }), { toolCallRate: rate, random: firstThen(draw) })
        .length;
    expect(at(0.7, 0.5)).toBe(0);
    expect(at(0.7, 0.8)).toBe(1);
    expect(at(0, 0)).toBe(0);
    expect(at(0.999, 1)).toBe(1);
    expect(at(0.7, 0, 'required')).toBe(1);
  });

  it('makes one to three calls of distinct tools when parallel calls are allowed', () => {
    const tools = [weather, time, search, { name: 'fourth', parameters: undefined }];
    const sizes = new Set<number>();
    for (let seed = 1; seed <= 60; seed++) {
      const names = plan({ tools }, 1, seed).map((c) => c.name);
      sizes.add(names.length);
      expect(new Set(names).size).toBe(names.length);
    }
    expect([...sizes].sort()).toEqual([1, 2, 3]);
    for (let seed = 1; seed <= 20; seed++) {
      expect(plan({ tools, parallelToolCalls: false }, 1, seed)).toHaveLength(1);
    }
  });

  it('always gives JSON object arguments, whatever the schema root', () => {
    expect(plan({ tools: [time], toolChoice: 'required' })[0]?.arguments).toBe('{}');
    expect(plan({ tools: [search], toolChoice: 'required' })[0]?.arguments).toBe('{}');
  });

  it('is deterministic from the random source', () => {
    const tools = [weather, time, search];
    expect(plan({ tools }, 1, 5)).toEqual(plan({ tools }, 1, 5));
  });
});
