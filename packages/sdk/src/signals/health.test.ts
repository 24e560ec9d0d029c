import { describe, expect, it } from 'vitest';
import { type EndpointOptions, resolveConfig } from '../config.js';
import { Health, type HealthTransition } from './health.js';

const endpoint: EndpointOptions = {
  id: 'edge-1',
  tier: 'edge',
  baseURL: 'http://edge.test/v1',
  model: 'small',
  contextWindow: 8192,
};

/** Health options as the router resolves them (defaults: 3 failures, 5 s → 120 s, 50% of 10). */
function healthOptions(health: Record<string, number> = {}) {
  return resolveConfig({ endpoints: [endpoint], probes: false, health }).health;
}

const t0 = 100_000;

describe('Health', () => {
  it('starts available', () => {
    const h = new Health(healthOptions());
    expect(h.ejected).toBe(false);
    expect(h.isAvailable(t0)).toBe(true);
    expect(h.availableAt(t0)).toBe(0);
  });

  it('ejects after N consecutive failures, emitting eject once', () => {
    const h = new Health(healthOptions());
    const transitions: HealthTransition[] = [];
    for (let i = 0; i < 6; i++) transitions.push(h.recordFailure(t0 + i, `503 #${i}`));
    expect(transitions).toEqual([undefined, undefined, 'eject', undefined, undefined, undefined]);
    expect(h.ejected).toBe(true);
    expect(h.reason).toBe('503 #2');
    expect(h.consecutiveFailures).toBe(6);
    expect(h.isAvailable(t0 + 10)).toBe(false);
    expect(h.availableAt(t0 + 10)).toBe(t0 + 2 + 5_000);
  });

  it('stays in rotation while failures are not consecutive', () => {
    const h = new Health(healthOptions({ minSamples: 1_000 }));
    for (let i = 0; i < 30; i++) {
      expect(h.recordFailure(t0 + i, 'timeout')).toBeUndefined();
      expect(h.recordFailure(t0 + i, 'timeout')).toBeUndefined();
      expect(h.recordSuccess()).toBeUndefined();
    }
    expect(h.ejected).toBe(false);
    expect(h.isAvailable(t0 + 30)).toBe(true);
  });

  it('honours ejectAfterFailures', () => {
    const h = new Health(healthOptions({ ejectAfterFailures: 1 }));
    expect(h.recordFailure(t0, 'connection refused')).toBe('eject');
  });

  it('is half-open after the cool-down: available again, one failure ejects it for longer', () => {
    const h = new Health(healthOptions());
    for (let i = 0; i < 3; i++) h.recordFailure(t0, 'x');
    expect(h.isAvailable(t0 + 4_999)).toBe(false);
    expect(h.isAvailable(t0 + 5_000)).toBe(true);
    expect(h.ejected).toBe(true); // still ejected, but may be tried

    // The trial fails: back out, for twice as long, without a second eject event.
    expect(h.recordFailure(t0 + 5_000, 'x')).toBeUndefined();
    expect(h.isAvailable(t0 + 5_000)).toBe(false);
    expect(h.availableAt(t0 + 5_000)).toBe(t0 + 5_000 + 10_000);
  });

  it('doubles the cool-down on each ejection in a row, up to maxCooldownMs', () => {
    const h = new Health(healthOptions());
    let now = t0;
    for (let i = 0; i < 3; i++) h.recordFailure(now, 'x');
    const cooldowns: number[] = [];
    for (let round = 0; round < 8; round++) {
      const until = h.availableAt(now);
      cooldowns.push(until - now);
      now = until; // half-open
      h.recordFailure(now, 'x'); // the trial fails
    }
    expect(cooldowns).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000, 120_000]);
  });

  it('ignores failures of stragglers while cooling down', () => {
    const h = new Health(healthOptions());
    for (let i = 0; i < 3; i++) h.recordFailure(t0, 'x');
    for (let i = 0; i < 10; i++) h.recordFailure(t0 + 100 * i, 'late');
    expect(h.availableAt(t0 + 1_000)).toBe(t0 + 5_000);
    expect(h.reason).toBe('x');
  });

  it('restores on success, emitting restore once, and starts the cool-down over', () => {
    const h = new Health(healthOptions());
    for (let i = 0; i < 3; i++) h.recordFailure(t0, 'x');
    h.recordFailure(t0 + 5_000, 'x'); // second ejection: 10 s
    expect(h.recordSuccess()).toBe('restore');
    expect(h.ejected).toBe(false);
    expect(h.consecutiveFailures).toBe(0);
    expect(h.isAvailable(t0 + 5_001)).toBe(true);
    expect(h.recordSuccess()).toBeUndefined();

    const later = t0 + 60_000;
    const transitions = [0, 1, 2].map(() => h.recordFailure(later, 'y'));
    expect(transitions).toEqual([undefined, undefined, 'eject']);
    expect(h.availableAt(later)).toBe(later + 5_000);
  });

  it('ejects a misconfigured endpoint at once for the longest cool-down', () => {
    const h = new Health(healthOptions());
    expect(h.recordFailure(t0, '401 Unauthorized', true)).toBe('eject');
    expect(h.reason).toBe('401 Unauthorized');
    expect(h.availableAt(t0)).toBe(t0 + 120_000);
    expect(h.isAvailable(t0 + 119_999)).toBe(false);
    expect(h.isAvailable(t0 + 120_000)).toBe(true);
  });

  it('ejects on the error rate once minSamples calls were seen', () => {
    // Consecutive failures never reach 100: only the error rate can eject.
    const h = new Health(
      healthOptions({ ejectAfterFailures: 100, minSamples: 10, ejectErrorRate: 0.5 }),
    );
    const transitions: HealthTransition[] = [];
    for (let i = 0; i < 10; i++) transitions.push(h.recordFailure(t0 + i, 'x'));
    // Nine failures already exceed 50%, but nine calls are too few to judge.
    expect(transitions.slice(0, 9)).toEqual(Array(9).fill(undefined));
    expect(transitions[9]).toBe('eject');
  });

  it('ejects on a high error rate even with successes in between', () => {
    const h = new Health(healthOptions({ ejectErrorRate: 0.5, minSamples: 10 }));
    let ejectedAt = -1;
    for (let i = 0; i < 60 && ejectedAt < 0; i++) {
      // fail, fail, succeed: never three failures in a row, 2/3 error rate
      if (i % 3 === 2) h.recordSuccess();
      else if (h.recordFailure(t0 + i, 'x') === 'eject') ejectedAt = i;
      expect(h.consecutiveFailures).toBeLessThan(3);
    }
    expect(ejectedAt).toBeGreaterThanOrEqual(9);
    expect(h.ejected).toBe(true);
  });

  it('does not eject on a low error rate', () => {
    const h = new Health(healthOptions());
    for (let i = 0; i < 200; i++) {
      if (i % 10 === 0) expect(h.recordFailure(t0 + i, 'x')).toBeUndefined();
      else h.recordSuccess();
    }
    expect(h.ejected).toBe(false);
  });

  it('holds the endpoint back until a Retry-After passes, without ejecting it', () => {
    const h = new Health(healthOptions());
    h.holdUntil(t0 + 2_000);
    expect(h.ejected).toBe(false);
    expect(h.isAvailable(t0)).toBe(false);
    expect(h.availableAt(t0)).toBe(t0 + 2_000);
    expect(h.isAvailable(t0 + 2_000)).toBe(true);
  });

  it('keeps the later of two holds', () => {
    const h = new Health(healthOptions());
    h.holdUntil(t0 + 3_000);
    h.holdUntil(t0 + 1_000);
    expect(h.availableAt(t0)).toBe(t0 + 3_000);
  });

  it('clears a hold on success', () => {
    const h = new Health(healthOptions());
    h.holdUntil(t0 + 3_000);
    expect(h.recordSuccess()).toBeUndefined();
    expect(h.isAvailable(t0)).toBe(true);
  });

  it('reports the later of a hold and an ejection', () => {
    const h = new Health(healthOptions());
    for (let i = 0; i < 3; i++) h.recordFailure(t0, 'x');
    h.holdUntil(t0 + 9_000);
    expect(h.availableAt(t0)).toBe(t0 + 9_000);
  });
});

describe('Health: half-open trial', () => {
  // Ejected after one failure, for 100 ms.
  const halfOpen = () =>
    new Health({
      ejectAfterFailures: 1,
      ejectErrorRate: 1,
      minSamples: 100,
      cooldownMs: 100,
      maxCooldownMs: 1_000,
    });

  it('lets one trial call through after the cool-down; the others wait for its outcome', () => {
    const h = halfOpen();
    h.recordFailure(0, 'boom');
    expect(h.isAvailable(50)).toBe(false);
    expect(h.isAvailable(150)).toBe(true);
    h.beginAttempt(150); // the trial
    expect(h.isAvailable(151)).toBe(false);
    expect(h.recordSuccess()).toBe('restore');
    expect(h.isAvailable(152)).toBe(true);
  });

  it('an aborted trial frees the endpoint for the next one', () => {
    const h = halfOpen();
    h.recordFailure(0, 'boom');
    h.beginAttempt(150);
    h.endAttempt();
    expect(h.isAvailable(151)).toBe(true);
  });

  it('a failed trial ejects again, for longer', () => {
    const h = halfOpen();
    h.recordFailure(0, 'boom');
    h.beginAttempt(150);
    h.recordFailure(150, 'boom again');
    expect(h.isAvailable(300)).toBe(false);
    expect(h.isAvailable(351)).toBe(true);
  });
});
