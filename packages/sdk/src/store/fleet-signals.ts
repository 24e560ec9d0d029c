import type { EndpointSignals, FleetView } from '../signals/endpoint-signals.js';

/**
 * What one router publishes at each sync: per endpoint id, `[pending, ttftMs, tpotMs, rttMs]`
 * (`null` for a signal it has not measured). Compact, because every router reads every other's.
 */
export interface FleetSignalsReport {
  /** When it was written, epoch ms. */
  readonly at: number;
  readonly e: Readonly<
    Record<string, readonly [number, number | null, number | null, number | null]>
  >;
}

/** This router's report. */
export function reportSignals(signals: readonly EndpointSignals[], at: number): FleetSignalsReport {
  const e: Record<string, [number, number | null, number | null, number | null]> = {};
  for (const s of signals) {
    e[s.endpoint.id] = [
      s.inFlight + s.queued,
      s.ttft.value ?? null,
      s.tpot.value ?? null,
      s.rtt.value ?? null,
    ];
  }
  return { at, e };
}

/**
 * Folds the other routers' reports into each endpoint's `fleet` view: their load summed (it shares
 * the endpoint's slots with ours), their latency signals averaged (a router that has not measured an
 * endpoint starts from what the fleet knows instead of from priors).
 */
export function foldFleetSignals(
  signals: readonly EndpointSignals[],
  others: readonly FleetSignalsReport[],
): void {
  for (const s of signals) {
    const id = s.endpoint.id;
    let pending = 0;
    const ttft = new Mean();
    const tpot = new Mean();
    const rtt = new Mean();
    for (const report of others) {
      const r = report.e[id];
      if (!r) continue;
      pending += r[0];
      ttft.add(r[1]);
      tpot.add(r[2]);
      rtt.add(r[3]);
    }
    const view: FleetView = {
      pending,
      ttftMs: ttft.value,
      tpotMs: tpot.value,
      rttMs: rtt.value,
    };
    s.fleet = view;
  }
}

class Mean {
  #sum = 0;
  #n = 0;

  add(value: number | null): void {
    if (value === null || !Number.isFinite(value)) return;
    this.#sum += value;
    this.#n++;
  }

  get value(): number | undefined {
    return this.#n === 0 ? undefined : this.#sum / this.#n;
  }
}
