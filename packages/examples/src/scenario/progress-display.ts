import type { LedgerNote, LedgerSnapshot } from './call-ledger.js';

/** Where progress goes: a `process.stdout`-like stream. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/** Shows the run while it goes. */
export interface ProgressDisplay {
  /** A new phase of the agent, e.g. `task 2/5 · sub-agents ×8`. */
  phase(text: string, atS: number): void;
  /** The counters changed. */
  update(snapshot: LedgerSnapshot): void;
  /** A moment worth its own line (an outage, an ejection). */
  note(note: LedgerNote): void;
  /** Clears the live line; nothing is drawn afterwards. */
  finish(): void;
}

// TTY redraws are throttled: hundreds of events a second would flood a slow terminal.
const REDRAW_MS = 50;

/**
 * A terminal gets one live line redrawn in place with `\r` (phase, calls done of total, the tier
 * split so far), with notes printed above it. Anything else (CI, a pipe, a file) gets plain lines:
 * one per phase and per note, no control codes.
 */
export function createProgressDisplay(
  out: ProgressOutput,
  totalCalls: number,
  tiers: readonly string[],
): ProgressDisplay {
  let phase = 'starting';
  let last: LedgerSnapshot | undefined;
  let lastDraw = 0;
  let done = false;
  const counts = (s: LedgerSnapshot | undefined) => {
    const finished = s ? s.answered + s.failed : 0;
    const split = tiers.map((t) => `${t} ${s?.byTier[t] ?? 0}`).join(' · ');
    const failovers = s?.failovers ? ` · ${s.failovers} failed over` : '';
    return `${finished}/${totalCalls} calls · ${split}${failovers}`;
  };
  const stamp = (atS: number) => `[${atS.toFixed(1).padStart(5)}s]`;

  if (!out.isTTY) {
    return {
      phase(text, atS) {
        phase = text;
        out.write(`${stamp(atS)} ${text.padEnd(44)} (${counts(last)})\n`);
      },
      update(snapshot) {
        last = snapshot;
      },
      note(note) {
        out.write(`${stamp(note.atS)} ! ${note.text}\n`);
      },
      finish() {
        done = true;
      },
    };
  }

  const draw = () => {
    if (done) return;
    lastDraw = performance.now();
    const line = `${phase} │ ${counts(last)}`;
    const width = (out.columns ?? 100) - 1;
    out.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
  };
  return {
    phase(text) {
      phase = text;
      draw();
    },
    update(snapshot) {
      last = snapshot;
      if (performance.now() - lastDraw >= REDRAW_MS) draw();
    },
    note(note) {
      out.write(`\r\x1b[2K${stamp(note.atS)} ! ${note.text}\n`);
      draw();
    },
    finish() {
      if (done) return;
      done = true;
      out.write('\r\x1b[2K');
    },
  };
}
