import { describe, expect, it } from 'vitest';
import { presets } from './presets.js';
import { parseProfilePatch, parseTopology, TopologyError } from './topology.js';

const ok = { id: 'e', model: 'm', contextWindow: 8192 };
const message = (value: unknown) => {
  try {
    parseTopology(value);
  } catch (error) {
    expect(error).toBeInstanceOf(TopologyError);
    return (error as Error).message;
  }
  throw new Error('expected a TopologyError');
};

describe('parseTopology', () => {
  it('accepts the presets', () => {
    for (const topology of Object.values(presets)) expect(parseTopology(topology)).toBe(topology);
  });

  it('names the bad key, what was expected and what was given', () => {
    expect(message({ endpoints: [ok, { ...ok, id: 'f', contextWindow: -5 }] })).toBe(
      'Invalid topology: `endpoints[1].contextWindow` must be a positive integer, got -5',
    );
    expect(message({ endpoints: [{ ...ok, faults: { errorRate: 2 } }] })).toBe(
      'Invalid topology: `endpoints[0].faults.errorRate` must be a probability between 0 and 1, got 2',
    );
    expect(message({ endpoints: [{ ...ok, model: '' }] })).toContain('`endpoints[0].model`');
    expect(message({ endpoints: [{ ...ok, toolCallRate: 1.5 }] })).toBe(
      'Invalid topology: `endpoints[0].toolCallRate` must be a probability between 0 and 1, got 1.5',
    );
    expect(message({ endpoints: [{ ...ok, toolCallRate: 'often' }] })).toContain(
      '`endpoints[0].toolCallRate` must be a probability between 0 and 1, got "often"',
    );
    expect(message({ timeScale: 0, endpoints: [ok] })).toContain('`timeScale` must be a positive');
    expect(message({ endpoints: [] })).toContain('`endpoints` must be a non-empty array');
    expect(message([])).toContain('must be an object');
  });

  it('refuses unknown keys by name', () => {
    expect(message({ endpoints: [{ ...ok, ttft: 5 }] })).toMatch(
      /^Invalid topology: `endpoints\[0\]\.ttft` is not a known key/,
    );
    expect(message({ endpoints: [ok], sed: 1 })).toMatch(/`sed` is not a known key/);
    expect(message({ endpoints: [{ ...ok, faults: { hang: 1 } }] })).toMatch(
      /`endpoints\[0\]\.faults\.hang` is not a known key/,
    );
  });

  it('requires id, model and contextWindow, and unique ids', () => {
    expect(message({ endpoints: [{ model: 'm', contextWindow: 1 }] })).toContain(
      '`endpoints[0].id` is required',
    );
    expect(message({ endpoints: [ok, ok] })).toContain('`endpoints[1].id` must be unique');
  });
});

describe('parseProfilePatch', () => {
  it('accepts partial profiles and reset', () => {
    expect(parseProfilePatch({ reset: true, faults: { errorRate: 1 }, down: true })).toBeTruthy();
    expect(parseProfilePatch({ toolCallRate: 0.25 })).toEqual({ toolCallRate: 0.25 });
  });

  it('refuses id, port and bad values', () => {
    expect(() => parseProfilePatch({ id: 'x' })).toThrow('`id` cannot be changed');
    expect(() => parseProfilePatch({ rttMs: -1 })).toThrow(
      'Invalid profile patch: `rttMs` must be a non-negative number, got -1',
    );
    expect(() => parseProfilePatch({ toolCallRate: -0.1 })).toThrow(
      'Invalid profile patch: `toolCallRate` must be a probability between 0 and 1, got -0.1',
    );
  });
});
