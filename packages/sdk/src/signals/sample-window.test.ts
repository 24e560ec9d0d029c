import { describe, expect, it } from 'vitest';
import { SampleWindow } from './sample-window.js';

describe('SampleWindow', () => {
  it('has no percentile while empty', () => {
    const window = new SampleWindow(8);
    expect(window.size).toBe(0);
    expect(window.percentile(0.5)).toBeUndefined();
  });

  it('gives nearest-rank percentiles', () => {
    const window = new SampleWindow(100);
    // Added out of order: percentiles sort numerically, not as strings.
    for (let i = 0; i < 100; i++) window.add(((i * 37) % 100) + 1);
    expect(window.size).toBe(100);
    expect(window.percentile(0)).toBe(1);
    expect(window.percentile(0.5)).toBe(50);
    expect(window.percentile(0.95)).toBe(95);
    expect(window.percentile(0.99)).toBe(99);
    expect(window.percentile(1)).toBe(100);
  });

  it('rounds ranks up, as nearest-rank does', () => {
    const window = new SampleWindow(8);
    for (const v of [15, 20, 35, 40, 50]) window.add(v);
    expect(window.percentile(0.05)).toBe(15);
    expect(window.percentile(0.3)).toBe(20);
    expect(window.percentile(0.4)).toBe(20);
    expect(window.percentile(0.5)).toBe(35);
    expect(window.percentile(1)).toBe(50);
  });

  it('sorts numbers numerically', () => {
    const window = new SampleWindow(8);
    for (const v of [9, 100, 20, 1_000]) window.add(v);
    expect(window.percentile(0.25)).toBe(9);
    expect(window.percentile(0.5)).toBe(20);
    expect(window.percentile(0.75)).toBe(100);
  });

  it('overwrites the oldest sample when full', () => {
    const window = new SampleWindow(4);
    for (const v of [1_000, 2_000, 3, 4, 5, 6]) window.add(v);
    expect(window.size).toBe(4);
    expect(window.percentile(0)).toBe(3);
    expect(window.percentile(1)).toBe(6);
    window.add(7);
    window.add(8);
    expect(window.percentile(0)).toBe(5);
    expect(window.percentile(1)).toBe(8);
  });

  it('forgets a spike once the window has moved past it', () => {
    const window = new SampleWindow(256);
    window.add(60_000);
    for (let i = 0; i < 255; i++) window.add(100);
    expect(window.percentile(1)).toBe(60_000);
    for (let i = 0; i < 256; i++) window.add(100);
    expect(window.percentile(1)).toBe(100);
  });
});
