import type { Router } from '@tiered/sdk';

/** A moment worth a line of its own: an endpoint ejected or restored, an injected incident. */
export interface LedgerNote {
  /** Seconds since the ledger started. */
  readonly atS: number;
  readonly text: string;
}

/** What the ledger has counted so far. */
export interface LedgerSnapshot {
  readonly started: number;
  readonly answered: number;
  readonly failed: number;
  /** Calls answered per tier. */
  readonly byTier: Readonly<Record<string, number>>;
  /** Calls answered per endpoint. */
  readonly byEndpoint: Readonly<Record<string, number>>;
  readonly failovers: number;
  /** Failovers by route, e.g. `edge-2 → edge-1`. */
  readonly failoverRoutes: Readonly<Record<string, number>>;
  /** Calls that failed over at least once and were then answered. */
  readonly rescued: number;
  readonly retries: number;
  readonly hedges: number;
  readonly ejections: number;
  readonly restores: number;
  /** Errors by code, for calls that ended in one. */
  readonly errors: Readonly<Record<string, number>>;
}

/**
 * Counts what the router reports through its events: calls started and ended, where they were
 * answered, failovers, retries, hedges, ejections and restores. The progress line and the summary
 * read from it; `onChange` fires after every counted event.
 */
export class CallLedger {
  readonly notes: LedgerNote[] = [];
  #started = 0;
  #answered = 0;
  #failed = 0;
  readonly #byTier: Record<string, number> = {};
  readonly #byEndpoint: Record<string, number> = {};
  readonly #failoverRoutes: Record<string, number> = {};
  readonly #failedOver = new Set<string>();
  #rescued = 0;
  #retries = 0;
  #hedges = 0;
  #ejections = 0;
  #restores = 0;
  readonly #errors: Record<string, number> = {};
  readonly #t0 = performance.now();

  constructor(
    router: Router,
    private readonly onChange: (ledger: CallLedger, note?: LedgerNote) => void = () => {},
  ) {
    router
      .on('request:start', () => {
        this.#started++;
        this.onChange(this);
      })
      .on('request:end', (e) => {
        this.#answered++;
        bump(this.#byTier, e.tier);
        bump(this.#byEndpoint, e.endpointId);
        if (this.#failedOver.has(e.requestId)) this.#rescued++;
        this.onChange(this);
      })
      .on('request:error', (e) => {
        this.#failed++;
        bump(this.#errors, e.code);
        this.onChange(this);
      })
      .on('failover', (e) => {
        this.#failedOver.add(e.requestId);
        bump(this.#failoverRoutes, `${e.fromEndpointId} → ${e.toEndpointId}`);
        this.onChange(this);
      })
      .on('retry', () => {
        this.#retries++;
        this.onChange(this);
      })
      .on('hedge:start', () => {
        this.#hedges++;
        this.onChange(this);
      })
      .on('endpoint:eject', (e) => {
        this.#ejections++;
        this.note(`router ejected ${e.endpointId} (${e.reason})`);
      })
      .on('endpoint:restore', (e) => {
        this.#restores++;
        this.note(`router restored ${e.endpointId} (via ${e.via})`);
      });
  }

  /** Seconds since the ledger started. */
  elapsedS(): number {
    return (performance.now() - this.#t0) / 1000;
  }

  /** Records a moment of the run (also used for the incidents the scenario injects). */
  note(text: string): void {
    const note = { atS: this.elapsedS(), text };
    this.notes.push(note);
    this.onChange(this, note);
  }

  snapshot(): LedgerSnapshot {
    return {
      started: this.#started,
      answered: this.#answered,
      failed: this.#failed,
      byTier: { ...this.#byTier },
      byEndpoint: { ...this.#byEndpoint },
      failovers: Object.values(this.#failoverRoutes).reduce((a, b) => a + b, 0),
      failoverRoutes: { ...this.#failoverRoutes },
      rescued: this.#rescued,
      retries: this.#retries,
      hedges: this.#hedges,
      ejections: this.#ejections,
      restores: this.#restores,
      errors: { ...this.#errors },
    };
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
