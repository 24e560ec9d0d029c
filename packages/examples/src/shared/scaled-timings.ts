import type { RouterOptions } from '@tiered/sdk';

/**
 * The router's timers, scaled like the mock's delays, so a run at `timeScale: 0.05` behaves like
 * the real-time one 20× faster (probes, first-token timeouts, ejection cool-downs, backoff, the
 * priors a cold endpoint starts from).
 *
 * @param timeScale the mock topology's time scale (1 = real time)
 * @param probeIntervalMs probe interval at real time; `false` turns probes off
 */
export function scaledTimings(
  timeScale: number,
  probeIntervalMs: number | false = false,
): Pick<RouterOptions, 'probes' | 'timeouts' | 'health' | 'retry' | 'priors'> {
  const ms = (value: number, min = 1) => Math.max(min, Math.round(value * timeScale));
  return {
    probes:
      probeIntervalMs === false
        ? false
        : { intervalMs: ms(probeIntervalMs, 10), timeoutMs: ms(1_000, 20) },
    timeouts: { firstTokenFloorMs: ms(5_000, 50), stallMs: ms(30_000, 50) },
    health: { cooldownMs: ms(5_000) },
    retry: { minDelayMs: ms(100), maxDelayMs: ms(1_000, 2) },
    // The SDK's defaults for an endpoint not yet measured, scaled like everything else.
    priors: { ttftMs: ms(300, 0), rttMs: ms(50, 0), timePerOutputTokenMs: 20 * timeScale },
  };
}
