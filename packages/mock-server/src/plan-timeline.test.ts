import { describe, expect, it } from 'vitest';
import { mulberry32 } from './internal/rng.js';
import { planTimeline } from './plan-timeline.js';
import { resolveProfile } from './resolve-profile.js';

const profile = (extra: object = {}) =>
  resolveProfile({ id: 'e', model: 'm', contextWindow: 8192, jitter: 0, ...extra });
const input = { promptTokens: 1000, cachedPromptTokens: 0, outputTokens: 11 };
const rng = () => mulberry32(1);

describe('planTimeline', () => {
  it('is instant with the default profile', () => {
    const t = planTimeline(
      input,
      resolveProfile({ id: 'e', model: 'm', contextWindow: 1 }),
      rng(),
      1,
    );
    expect(t).toMatchObject({ rttMs: 0, ttftMs: 0, decodeMsPerToken: 0, generationMs: 0 });
  });

  it('adds prefill time to the fixed ttft', () => {
    const t = planTimeline(input, profile({ ttftMs: 50, prefillTokensPerSec: 2000 }), rng(), 1);
    expect(t.ttftMs).toBeCloseTo(50 + 500);
  });

  it('paces output tokens at the decode speed, the first at ttft', () => {
    const t = planTimeline(input, profile({ ttftMs: 20, decodeTokensPerSec: 100 }), rng(), 1);
    expect(t.decodeMsPerToken).toBeCloseTo(10);
    expect(t.generationMs).toBeCloseTo(20 + 10 * 10);
  });

  it('prefills cached prompt tokens speedup times faster', () => {
    const p = profile({ prefillTokensPerSec: 1000, prefixCache: { speedup: 10 } });
    const t = planTimeline({ ...input, cachedPromptTokens: 800 }, p, rng(), 1);
    expect(t.ttftMs).toBeCloseTo(200 + 80);
    // Without a prefix cache, cached tokens count in full.
    const off = planTimeline(
      { ...input, cachedPromptTokens: 800 },
      profile({ prefillTokensPerSec: 1000 }),
      rng(),
      1,
    );
    expect(off.ttftMs).toBeCloseTo(1000);
  });

  it('multiplies every delay by timeScale', () => {
    const p = profile({ rttMs: 60, ttftMs: 300, decodeTokensPerSec: 40 });
    const t = planTimeline(input, p, rng(), 0.01);
    expect(t.rttMs).toBeCloseTo(0.6);
    expect(t.ttftMs).toBeCloseTo(3);
    expect(t.decodeMsPerToken).toBeCloseTo(0.25);
  });

  it('jitters ttft and decode log-normally around the profile, reproducibly', () => {
    const p = profile({ ttftMs: 100, decodeTokensPerSec: 100, jitter: 0.1 });
    const a = planTimeline(input, p, rng(), 1);
    const b = planTimeline(input, p, rng(), 1);
    expect(a).toEqual(b);
    expect(a.ttftJitter).not.toBe(1);
    const r = mulberry32(7);
    const ttfts = Array.from({ length: 2001 }, () => planTimeline(input, p, r, 1).ttftMs).sort(
      (x, y) => x - y,
    );
    expect(ttfts[1000]).toBeGreaterThan(95);
    expect(ttfts[1000]).toBeLessThan(105);
    expect(Math.min(...ttfts)).toBeGreaterThan(0);
  });
});
