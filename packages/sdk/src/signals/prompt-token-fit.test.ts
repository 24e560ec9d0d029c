import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../test/mulberry32.js';
import { MAX_CHARS_PER_TOKEN, PromptTokenFit } from './prompt-token-fit.js';

/** The mock server's count for one user message of `c` content chars, and its request JSON size. */
const mockTokens = (c: number) => Math.ceil((4 + c) / 4) + 4 + 3;
const mockChars = (c: number) => c + 58;

describe('PromptTokenFit: before any sample', () => {
  it('is the prior ratio, and the bound adds the margin', () => {
    const fit = new PromptTokenFit(4);
    expect(fit.tokens(4_000)).toBe(1_000);
    expect(fit.charsPerToken).toBe(4);
    expect(fit.intercept).toBe(0);
    expect(fit.bound(4_000, 0, 0.1)).toBeCloseTo(1_100, 9);
    expect(fit.bound(4_000, 800, 0.1)).toBeCloseTo(1_980, 9);
  });
});

describe('PromptTokenFit: cannot be fooled by short calls', () => {
  it('after 20 calls of 56 chars reported as 1 token, still sizes a 4,000-char prompt as ~1,000 tokens', () => {
    // Issue 10.5: a ratio learned from these drifted to ~56 chars/token (4,000 chars ≈ 71 tokens),
    // and the prompt went to a 512-token edge.
    const fit = new PromptTokenFit(4);
    for (let i = 0; i < 20; i++) fit.observe(56, 1);
    expect(fit.charsPerToken).toBeGreaterThan(3.5);
    expect(fit.charsPerToken).toBeLessThan(4.5);
    expect(fit.intercept).toBeLessThan(0); // the JSON structure, not counted
    expect(fit.tokens(4_000)).toBeGreaterThan(900);
    expect(fit.bound(4_000, 0, 0.1)).toBeGreaterThan(512);
    expect(fit.tokens(56)).toBeLessThan(3); // and the short calls themselves are still right
  });

  it('after 50 short calls whose JSON is mostly an uncounted schema, the bound keeps the prior slope', () => {
    // 660 chars, 9 tokens: a structured-output call on a server that does not count the schema.
    const fit = new PromptTokenFit(4);
    for (let i = 0; i < 50; i++) fit.observe(660 + (i % 5), 9);
    // A plain prompt of 1,024 tokens by the mock's count (4,096 content chars).
    const chars = mockChars(4_096);
    const actual = mockTokens(4_096);
    expect(fit.bound(chars, 0, 0.1)).toBeGreaterThan(actual * 0.85);
    expect(fit.bound(chars, 0, 0.1)).toBeGreaterThan(512);
  });

  it('never learns a slope from samples of one size, however noisy', () => {
    const random = mulberry32(3);
    const fit = new PromptTokenFit(4);
    // An agent: a 4,000-char system prompt, turns of 0–60 chars; the server's count varies ±100.
    for (let i = 0; i < 200; i++) {
      const chars = 4_000 + Math.floor(random() * 60);
      fit.observe(chars, Math.round(chars / 4 + (random() - 0.5) * 200));
    }
    expect(fit.charsPerToken).toBeGreaterThan(3.6);
    expect(fit.charsPerToken).toBeLessThan(4.4);
    expect(fit.tokens(8_000) / 2_000).toBeGreaterThan(0.9);
    expect(fit.tokens(8_000) / 2_000).toBeLessThan(1.1);
    expect(fit.tokens(400)).toBeGreaterThan(50);
    expect(fit.tokens(400)).toBeLessThan(150);
  });

  it('with one size seen, leans on that size’s own ratio once it is mostly text', () => {
    // A long system prompt on a 3-chars/token tokenizer: the ratio of a 4,000-char prompt is
    // the tokenizer's, not JSON structure's.
    const fit = new PromptTokenFit(4);
    for (let i = 0; i < 30; i++)
      fit.observe(4_000 + (i % 3) * 10, Math.round((4_000 + (i % 3) * 10) / 3));
    expect(fit.tokens(8_000)).toBeGreaterThan(2_667 * 0.95);
    expect(fit.bound(8_000, 0, 0)).toBeGreaterThanOrEqual(2_667 * 0.99);
  });

  it('stays within plausible bounds whatever it is told', () => {
    const fit = new PromptTokenFit(4);
    for (let i = 0; i < 100; i++) fit.observe(1_000 + (i % 10) * 10_000, 1);
    expect(fit.charsPerToken).toBeLessThanOrEqual(MAX_CHARS_PER_TOKEN);
    expect(fit.intercept).toBeGreaterThanOrEqual(-128);
    const huge = new PromptTokenFit(4);
    for (let i = 0; i < 100; i++) huge.observe(100 + (i % 10) * 100, 1_000_000);
    expect(huge.charsPerToken).toBeGreaterThanOrEqual(0.5);
    expect(huge.intercept).toBeLessThanOrEqual(4_096);
    // Ignores what is not a count.
    const fit2 = new PromptTokenFit(4);
    for (const [c, t] of [
      [0, 10],
      [100, 0],
      [Number.NaN, 5],
      [100, Number.POSITIVE_INFINITY],
    ] as const) {
      fit2.observe(c, t);
    }
    expect(fit2.tokens(4_000)).toBe(1_000);
  });
});

describe('PromptTokenFit: accuracy', () => {
  it('learns the mock’s count (intercept and slope) to within a token or 1%', () => {
    const random = mulberry32(1);
    const fit = new PromptTokenFit(4);
    for (let i = 0; i < 60; i++) {
      const c = Math.floor(random() ** 2 * 40_000);
      fit.observe(mockChars(c), mockTokens(c));
    }
    expect(fit.charsPerToken).toBeCloseTo(4, 1);
    expect(fit.intercept).toBeGreaterThan(-12);
    expect(fit.intercept).toBeLessThan(-2);
    for (const c of [0, 10, 100, 1_000, 10_000, 30_000, 100_000]) {
      const err = Math.abs(fit.tokens(mockChars(c)) - mockTokens(c));
      expect(err).toBeLessThanOrEqual(Math.max(1.5, mockTokens(c) * 0.01));
    }
  });

  it('follows a change of tokenizer as old samples fade', () => {
    const fit = new PromptTokenFit(4);
    for (let i = 0; i < 100; i++)
      fit.observe(1_000 + (i % 10) * 1_000, (1_000 + (i % 10) * 1_000) / 4);
    for (let i = 0; i < 300; i++)
      fit.observe(1_000 + (i % 10) * 1_000, (1_000 + (i % 10) * 1_000) / 3);
    expect(fit.charsPerToken).toBeCloseTo(3, 1);
  });
});

describe('PromptTokenFit: the bound', () => {
  it('widens at once on an under-estimate, and fades as estimates come right again', () => {
    const fit = new PromptTokenFit(4);
    for (let i = 0; i < 30; i++)
      fit.observe(1_000 + (i % 10) * 1_000, (1_000 + (i % 10) * 1_000) / 4);
    expect(fit.underestimate).toBeLessThan(0.01);
    fit.observe(6_000, 3_000); // twice the estimate
    expect(fit.underestimate).toBeGreaterThan(0.9);
    expect(fit.bound(6_000, 0, 0.1)).toBeGreaterThan(2_800);
    for (let i = 0; i < 40; i++)
      fit.observe(1_000 + (i % 10) * 1_000, (1_000 + (i % 10) * 1_000) / 4);
    expect(fit.underestimate).toBeLessThan(0.1);
    // Far from a window the mean is what routing uses; it was hardly moved by one sample.
    expect(fit.tokens(4_000)).toBeGreaterThan(990);
    expect(fit.tokens(4_000)).toBeLessThan(1_060);
  });

  it('covers a refusal’s stated count at once, even from a prior twice off', () => {
    const fit = new PromptTokenFit(8);
    expect(fit.bound(10_450, 0, 0.1)).toBeLessThan(2_607);
    fit.observeExact(10_450, 2_607);
    expect(fit.bound(10_450, 0, 0)).toBeGreaterThanOrEqual(2_607);
    expect(fit.charsPerToken).toBeLessThan(8);
  });

  it('covers a count it only knows a floor of, without learning it as a sample', () => {
    const fit = new PromptTokenFit(4);
    for (let i = 0; i < 30; i++)
      fit.observe(1_000 + (i % 10) * 1_000, (1_000 + (i % 10) * 1_000) / 4);
    const mean = fit.tokens(7_000);
    fit.observeAtLeast(7_000, 2_600);
    expect(fit.bound(7_000, 0, 0)).toBeGreaterThanOrEqual(2_600);
    expect(fit.tokens(7_000)).toBe(mean);
  });
});
