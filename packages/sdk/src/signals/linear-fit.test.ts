import { describe, expect, it } from 'vitest';
import { LinearFit } from './linear-fit.js';

describe('LinearFit', () => {
  it('recovers the slope of y = 50 + 0.2x', () => {
    const fit = new LinearFit();
    for (let i = 0; i < 40; i++) {
      const x = 500 + ((i * 7919) % 20_000); // spread prompt sizes
      fit.observe(x, 50 + 0.2 * x);
    }
    expect(fit.slope).toBeCloseTo(0.2, 9);
  });

  it('recovers the slope through noise', () => {
    const fit = new LinearFit();
    for (let i = 0; i < 200; i++) {
      const x = (i % 20) * 1_000;
      const noise = ((i * 37) % 11) - 5; // deterministic, mean ≈ 0, ±5 ms
      fit.observe(x, 50 + 0.2 * x + noise);
    }
    expect(fit.slope).toBeGreaterThan(0.19);
    expect(fit.slope).toBeLessThan(0.21);
  });

  it('follows a change of slope as old samples are forgotten', () => {
    const fit = new LinearFit(0.9);
    for (let i = 0; i < 100; i++) fit.observe((i % 10) * 1_000, 0.5 * (i % 10) * 1_000);
    for (let i = 0; i < 200; i++) fit.observe((i % 10) * 1_000, 0.1 * (i % 10) * 1_000);
    expect(fit.slope).toBeCloseTo(0.1, 3);
  });

  it('is 0 before two samples', () => {
    const fit = new LinearFit();
    expect(fit.slope).toBe(0);
    fit.observe(10_000, 2_050);
    expect(fit.slope).toBe(0);
  });

  it('is 0 while the x values are too alike to tell', () => {
    const fit = new LinearFit(0.98, 256);
    for (let i = 0; i < 50; i++) {
      const x = 1_000 + (i % 5) * 10; // std ≈ 14 tokens
      fit.observe(x, 50 + 0.2 * x);
    }
    expect(fit.slope).toBe(0);
  });

  it('trusts the slope once the x spread reaches minSpread', () => {
    const fit = new LinearFit(1, 100);
    fit.observe(0, 50);
    fit.observe(200, 90); // std of x = 100
    expect(fit.slope).toBeCloseTo(0.2, 9);
  });

  it('is never negative', () => {
    const fit = new LinearFit();
    for (let i = 0; i < 40; i++) {
      const x = (i % 10) * 1_000;
      fit.observe(x, 5_000 - 0.3 * x);
    }
    expect(fit.slope).toBe(0);
  });
});
