import { describe, expect, it } from 'vitest';
import { RetryBudget } from './retry-budget.js';

const t0 = 1_000_000; // a monotonic clock well past 0

describe('RetryBudget', () => {
  it('allows minPerSec × window seconds retries with no deposits', () => {
    const budget = new RetryBudget(0.2, 2, 10_000);
    expect(budget.available(t0)).toBe(20);
    let granted = 0;
    while (budget.tryWithdraw(t0)) granted++;
    expect(granted).toBe(20);
    expect(budget.tryWithdraw(t0)).toBe(false);
  });

  it('adds `ratio` of a retry for each call deposited', () => {
    const budget = new RetryBudget(0.2, 0, 10_000);
    expect(budget.available(t0)).toBe(0);
    expect(budget.tryWithdraw(t0)).toBe(false);
    for (let i = 0; i < 10; i++) budget.deposit(t0 + i);
    expect(budget.available(t0 + 10)).toBeCloseTo(2);
    expect(budget.tryWithdraw(t0 + 10)).toBe(true);
    expect(budget.tryWithdraw(t0 + 10)).toBe(true);
    expect(budget.tryWithdraw(t0 + 10)).toBe(false);
  });

  it('reduces what is available by each withdrawal', () => {
    const budget = new RetryBudget(0.5, 1, 10_000);
    for (let i = 0; i < 4; i++) budget.deposit(t0);
    expect(budget.available(t0)).toBe(12);
    budget.tryWithdraw(t0);
    budget.tryWithdraw(t0 + 500);
    expect(budget.available(t0 + 600)).toBe(10);
  });

  it('runs dry under a retry storm: at most ratio × calls + floor retries per window', () => {
    const budget = new RetryBudget(0.2, 2, 10_000);
    let granted = 0;
    // 1000 calls over 5 s, each wanting a retry.
    for (let i = 0; i < 1000; i++) {
      const now = t0 + i * 5;
      budget.deposit(now);
      if (budget.tryWithdraw(now)) granted++;
    }
    expect(granted).toBeLessThanOrEqual(0.2 * 1000 + 20);
    expect(granted).toBeGreaterThanOrEqual(0.2 * 1000);
  });

  it('expires deposits after the window', () => {
    const budget = new RetryBudget(1, 0, 10_000);
    for (let i = 0; i < 5; i++) budget.deposit(t0);
    expect(budget.available(t0 + 9_000)).toBe(5);
    expect(budget.available(t0 + 10_000)).toBe(0);
  });

  it('expires each deposit on its own schedule', () => {
    const budget = new RetryBudget(1, 0, 10_000);
    budget.deposit(t0);
    budget.deposit(t0 + 5_000);
    expect(budget.available(t0 + 9_999)).toBe(2);
    expect(budget.available(t0 + 11_000)).toBe(1);
    expect(budget.available(t0 + 16_000)).toBe(0);
  });

  it('gives withdrawn retries back when they leave the window', () => {
    const budget = new RetryBudget(0.2, 1, 10_000);
    while (budget.tryWithdraw(t0)) {}
    expect(budget.available(t0 + 5_000)).toBeLessThan(1);
    expect(budget.available(t0 + 10_000)).toBe(10);
  });

  it('forgets everything after a long idle gap', () => {
    const budget = new RetryBudget(1, 0, 10_000);
    for (let i = 0; i < 7; i++) budget.deposit(t0);
    expect(budget.available(t0 + 3_600_000)).toBe(0);
  });

  // Bug: `#advance` uses `#bucketStart === 0` to mean "no call yet" (retry-budget.ts:52), so with
  // a clock that starts at 0 (an injected `now`, fake timers) calls recorded at time 0 are
  // re-anchored to the next call's time, however late, and count for a whole window after it.
  it('expires deposits after the window with a clock that starts at 0', () => {
    const budget = new RetryBudget(1, 0, 10_000);
    for (let i = 0; i < 5; i++) budget.deposit(0);
    expect(budget.available(30_000)).toBe(0);
  });
});
