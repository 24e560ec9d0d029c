import type { ResolvedConfig } from '../config.js';
import type { ProbeEndEvent } from '../events.js';
import type { EndpointSignals } from './endpoint-signals.js';
import type { HealthTransition } from './health.js';

export interface ProbeHooks {
  onProbe(event: ProbeEndEvent): void;
  onTransition(s: EndpointSignals, transition: HealthTransition, reason: string): void;
  /**
   * Whether this router probes the endpoint this round (a fleet lets one router probe for all).
   * @default always
   */
  mayProbe?: ((s: EndpointSignals, intervalMs: number) => Promise<boolean>) | undefined;
}

/**
 * Periodic, jittered `GET {baseURL}/models` per endpoint, with that endpoint's headers only. They
 * give RTT (which cold endpoints start from) and liveness: a successful probe brings an ejected
 * endpoint back, a failed one counts against it. Timers are unref'd: probes never keep a process
 * alive. The first probe runs at once, so cold endpoints are measured before the first calls.
 */
export class Probes {
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #inFlight = new Set<AbortController>();
  readonly #unsupported = new Set<EndpointSignals>();
  #stopped = false;

  readonly #signals: readonly EndpointSignals[];
  readonly #config: ResolvedConfig;
  readonly #hooks: ProbeHooks;

  constructor(signals: readonly EndpointSignals[], config: ResolvedConfig, hooks: ProbeHooks) {
    this.#signals = signals;
    this.#config = config;
    this.#hooks = hooks;
  }

  start(): void {
    if (!this.#config.probes) return;
    for (const s of this.#signals) this.#schedule(s, this.#config.random() * 50);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const c of this.#inFlight) c.abort();
    this.#inFlight.clear();
  }

  /** Probes one endpoint now. */
  async probe(s: EndpointSignals): Promise<ProbeEndEvent> {
    const options = this.#config.probes || { timeoutMs: 3_000 };
    const { now, fetch } = this.#config;
    const controller = new AbortController();
    this.#inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    timer.unref?.();
    const started = now();
    let status: number | undefined;
    try {
      const { 'content-type': _json, ...headers } = s.endpoint.headers;
      const res = await fetch(s.endpoint.modelsURL, { headers, signal: controller.signal });
      status = res.status;
      await res.body?.cancel().catch(() => {});
    } catch {
      status = undefined;
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(controller);
    }
    const rttMs = now() - started;
    const ok = status !== undefined && status >= 200 && status < 300;
    const event: ProbeEndEvent = {
      requestId: undefined,
      timestamp: Date.now(),
      endpointId: s.endpoint.id,
      ok,
      rttMs,
      status,
    };
    if (this.#stopped) return event;
    if (ok) {
      s.rtt.observe(rttMs, now());
      if (s.health.ejected)
        this.#hooks.onTransition(s, s.health.recordSuccess(), 'probe succeeded');
    } else if (status === 404 || status === 405 || status === 501) {
      // A server without `GET /models`: it says nothing of the endpoint's health. Stop probing it.
      this.#unsupported.add(s);
    } else {
      const permanent = status === 401 || status === 403;
      const reason = status === undefined ? 'probe failed to connect' : `probe answered ${status}`;
      this.#hooks.onTransition(s, s.health.recordFailure(now(), reason, permanent), reason);
    }
    this.#hooks.onProbe(event);
    return event;
  }

  #schedule(s: EndpointSignals, delayMs: number): void {
    if (this.#stopped || !this.#config.probes || this.#unsupported.has(s)) return;
    const interval = this.#config.probes.intervalMs;
    const timer = setTimeout(async () => {
      this.#timers.delete(timer);
      const mayProbe = this.#hooks.mayProbe;
      const mine = !mayProbe || (await mayProbe(s, interval));
      // Stopped while the fleet was asked: no probe after close().
      if (this.#stopped) return;
      if (mine) await this.probe(s);
      // ±20% jitter, so probes of many clients don't synchronize.
      this.#schedule(s, interval * (0.8 + 0.4 * this.#config.random()));
    }, delayMs);
    timer.unref?.();
    this.#timers.add(timer);
  }
}
