import type { RouterOptions } from '@tiered/sdk';

/**
 * The router's timers, scaled like the mock's delays, so a run at `timeScale: 0.05` behaves like
 * the real-time one 20× faster (probes, first-token timeouts, ejection cool-downs, backoff).
 *
 * @param timeScale the mock topology's time scale (1 = real time)
 * @param probeIntervalMs probe interval at real time; `false` turns probes off
 */
export function scaledTimings(
  timeScale: number,
  probeIntervalMs: number | false = false,
): Pick<RouterOptions, 'probes' | 'timeouts' | 'health' | 'retry'> {
  const ms = (value: number, min = 1) => Math.max(min, Math.round(value * timeScale));
  return {
    probes:
      probeIntervalMs === false
        ? false
        : { intervalMs: ms(probeIntervalMs, 10), timeoutMs: ms(1_000, 20) },
    timeouts: { firstTokenFloorMs: ms(1_500, 50), stallMs: ms(2_000, 50) },
    health: { cooldownMs: ms(2_000) },
    retry: { minDelayMs: ms(100), maxDelayMs: ms(1_000, 2) },
  };
}
