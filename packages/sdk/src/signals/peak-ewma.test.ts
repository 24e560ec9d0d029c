import { describe, expect, it } from 'vitest';
import { PeakEwma } from './peak-ewma.js';

describe('PeakEwma', () => {
  it('has no value before the first sample, or the initial value given', () => {
    expect(new PeakEwma().value).toBeUndefined();
    expect(new PeakEwma(1000, 350).value).toBe(350);
  });

  it('takes the first sample as its value', () => {
    const ewma = new PeakEwma(1000);
    ewma.observe(120, 5);
    expect(ewma.value).toBe(120);
  });

  it('counts a slow sample at once', () => {
    const ewma = new PeakEwma(1000);
    for (let t = 0; t < 10_000; t += 100) ewma.observe(100, t);
    expect(ewma.value).toBeCloseTo(100);
    ewma.observe(2_000, 10_000);
    expect(ewma.value).toBe(2_000);
  });

  it('then decays towards faster samples with time', () => {
    const ewma = new PeakEwma(1000);
    ewma.observe(2_000, 0);
    const seen: number[] = [];
    for (let t = 100; t <= 5_000; t += 100) {
      ewma.observe(100, t);
      seen.push(ewma.value as number);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeLessThan(seen[i - 1] as number);
    expect(seen[0]).toBeGreaterThan(1_000); // 100 ms after a 2 s stall it still counts
    expect(ewma.value).toBeLessThan(120); // 5 time constants later it has recovered
    expect(ewma.value).toBeGreaterThan(100);
  });

  it('keeps 1/e of the old value after one time constant', () => {
    const ewma = new PeakEwma(1000);
    ewma.observe(1_100, 0);
    ewma.observe(100, 1000);
    expect(ewma.value).toBeCloseTo(100 + 1_000 / Math.E, 6);
  });

  it('decays faster with a shorter time constant', () => {
    const slow = new PeakEwma(10_000);
    const fast = new PeakEwma(1_000);
    for (const ewma of [slow, fast]) {
      ewma.observe(1_000, 0);
      ewma.observe(0, 2_000);
    }
    expect(fast.value as number).toBeLessThan(slow.value as number);
    expect(slow.value).toBeCloseTo(1_000 * Math.exp(-0.2), 6);
    expect(fast.value).toBeCloseTo(1_000 * Math.exp(-2), 6);
  });

  it('does not move on a lower sample taken at the same instant', () => {
    const ewma = new PeakEwma(1000);
    ewma.observe(500, 100);
    ewma.observe(10, 100);
    expect(ewma.value).toBe(500);
  });

  it('treats a clock that goes backwards as no time elapsed', () => {
    const ewma = new PeakEwma(1000);
    ewma.observe(500, 1_000);
    ewma.observe(10, 900);
    expect(ewma.value).toBe(500);
  });
});
