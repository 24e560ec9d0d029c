import { describe, expect, it } from 'vitest';
import { drawFault } from './draw-fault.js';
import { mulberry32 } from './internal/rng.js';
import { resolveProfile } from './resolve-profile.js';

const faults = resolveProfile({
  id: 'e',
  model: 'm',
  contextWindow: 1,
  faults: {
    errorRate: 0.2,
    rateLimitRate: 0.1,
    hangRate: 0.05,
    disconnectRate: 0.1,
    stallRate: 0.1,
    malformedRate: 0.1,
  },
}).faults;
const sequence = (seed: number, n = 200) => {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => drawFault(rng, faults) ?? 'ok');
};

describe('drawFault', () => {
  it('gives the same sequence for the same seed', () => {
    expect(sequence(42)).toEqual(sequence(42));
  });

  it('gives another sequence for another seed', () => {
    expect(sequence(42)).not.toEqual(sequence(43));
  });

  it('draws each kind at roughly its rate', () => {
    const s = sequence(1, 20_000);
    const share = (kind: string) => s.filter((k) => k === kind).length / s.length;
    expect(share('rateLimit')).toBeCloseTo(0.1, 1);
    // error is drawn only when no 429 was: 0.9 × 0.2
    expect(share('error')).toBeCloseTo(0.18, 1);
  });

  it('never injects with zero rates, and honours precedence at rate 1', () => {
    const none = resolveProfile({ id: 'e', model: 'm', contextWindow: 1 }).faults;
    const rng = mulberry32(3);
    for (let i = 0; i < 100; i++) expect(drawFault(rng, none)).toBeUndefined();
    const all = { ...none, errorRate: 1, hangRate: 1, rateLimitRate: 1 };
    expect(drawFault(rng, all)).toBe('rateLimit');
    expect(drawFault(rng, { ...all, rateLimitRate: 0 })).toBe('error');
  });
});
