import type { AffinityResult } from './affinity.js';
import type { FaultResult } from './faults.js';
import type { FleetResult } from './fleet.js';
import type { HeapResult } from './heap.js';
import type { TailResult } from './hedging-tail.js';
import type { SlackSweepResult } from './slack-sweep.js';
import type { ReplayResult } from './trace-replay.js';

/** Everything one `pnpm bench` run measured; written to `results/latest.json`. */
export interface BenchResults {
  date: string;
  machine: string;
  seconds?: number;
  decision?: Record<string, number>;
  telemetry?: Record<string, number>;
  overhead?: {
    c1: Record<string, number>;
    c32: Record<string, number>;
  };
  heap?: HeapResult;
  traceReplay?: ReplayResult[];
  slackSweep?: SlackSweepResult;
  /** Where the sweep's SVG was written, relative to the package. */
  slackSweepPlot?: string;
  faults?: { timeScale: number; calls: number; concurrency: number; results: FaultResult[] };
  targets?: Target[];
  hedging?: Array<TailResult & { scenario: string }>;
  affinity?: AffinityResult[];
  fleet?: FleetResult;
}

export interface Target {
  readonly trace: string;
  readonly target: string;
  readonly met: boolean;
  readonly detail: string;
}

const pct = (x: number, d = 1) => `${(x * 100).toFixed(d)}%`;
const ms = (x: number) => Math.round(x).toLocaleString('en-US');

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The targets of DESIGN/brief, judged against the replay results. */
export function judgeTargets(replays: readonly ReplayResult[]): Target[] {
  const out: Target[] = [];
  for (const r of replays) {
    const tiered = r.policies.find((p) => p.policy === 'Tiered');
    const origin = r.policies.find((p) => p.policy === 'origin-only');
    if (!tiered || !origin) continue;
    if (r.trace === 'azure') {
      out.push({
        trace: r.trace,
        target: 'Tiered cost ≥ 80% below origin-only',
        met: tiered.savingVsOriginOnly >= 0.8,
        detail: `saving ${pct(tiered.savingVsOriginOnly)}${tiered.savingVsOriginOnly >= 0.8 ? '' : ` (missed by ${((0.8 - tiered.savingVsOriginOnly) * 100).toFixed(1)} points)`}; edge share ${pct(tiered.edgeShare)}`,
      });
      out.push({
        trace: r.trace,
        target: "Tiered p95 no worse than origin-only's",
        met: tiered.latencyMs.p95 <= origin.latencyMs.p95,
        detail: `${ms(tiered.latencyMs.p95)} ms vs ${ms(origin.latencyMs.p95)} ms`,
      });
      const ctx = tiered.contextErrors.edge + tiered.contextErrors.origin;
      out.push({
        trace: r.trace,
        target: 'zero context-length errors reaching an endpoint',
        met: ctx === 0,
        detail: `${ctx}`,
      });
      out.push({
        trace: r.trace,
        target: 'no call lost',
        met: tiered.lost === 0,
        detail: `${tiered.lost} lost, ${tiered.errors} typed errors`,
      });
    } else {
      out.push({
        trace: r.trace,
        target: 'zero oversized prompts sent to an edge',
        met: tiered.contextErrors.edge === 0,
        detail: `${tiered.contextErrors.edge} context-length 400s at the edges (naive edge-first: ${r.policies.find((p) => p.policy === 'naive edge-first')?.contextErrors.edge ?? '?'}); ${r.oversizedForEdge} of ${r.requests} requests do not fit 8192`,
      });
      out.push({
        trace: r.trace,
        target: 'no call lost',
        met: tiered.lost === 0,
        detail: `${tiered.lost} lost, ${tiered.errors} typed errors`,
      });
    }
  }
  return out;
}

/** The Markdown summary (`results/latest.md`, also printed). */
export function markdown(res: BenchResults): string {
  const out: string[] = [];
  out.push(`# Tiered benchmark results\n`);
  out.push(`${res.date} — ${res.machine}${res.seconds ? ` — whole run ${res.seconds} s` : ''}\n`);
  if (res.decision) {
    const d = res.decision;
    out.push('## Decision cost and in-memory call overhead\n');
    out.push(
      table(
        ['measure', 'value'],
        [
          ['estimate (chars → tokens, needs)', `${d.estimateUs} µs`],
          ['policy over 16 endpoints (filter, tier, P2C, fallbacks)', `${d.planUs16} µs`],
          ['decision total', `${d.decisionUs16} µs`],
          ['whole call via router, in-memory fetch', `${d.routerCallUs} µs`],
          ['whole call via bare openai client, in-memory fetch', `${d.bareClientCallUs} µs`],
          [
            'router − bare client',
            `${Math.round(((d.routerCallUs ?? 0) - (d.bareClientCallUs ?? 0)) * 100) / 100} µs`,
          ],
        ],
      ),
    );
    out.push('');
  }
  if (res.telemetry) {
    const t = res.telemetry;
    out.push('## Telemetry cost per call (in-memory fetch, CPU time, median of 30 blocks)\n');
    out.push(
      table(
        ['router', 'CPU per call', 'over off'],
        [
          ['no `telemetry` option', `${t.offCallUs} µs`, '—'],
          [
            '`openTelemetry()`, no SDK registered (API no-ops)',
            `${t.noopCallUs} µs`,
            `+${t.noopExtraUs} µs`,
          ],
          [
            '`openTelemetry()` over the OTel SDK (2 spans, batched; 3 histogram records)',
            `${t.sdkCallUs} µs`,
            `+${t.sdkExtraUs} µs`,
          ],
        ],
      ),
    );
    out.push('');
  }
  if (res.overhead) {
    const { c1, c32 } = res.overhead;
    out.push(
      '## Overhead over loopback HTTP (router vs bare openai client, one zero-latency mock)\n',
    );
    out.push(
      table(
        ['measure', 'router', 'bare client', 'ratio'],
        [
          [
            'p50 latency, concurrency 1',
            `${c1.routerP50Ms} ms`,
            `${c1.clientP50Ms} ms`,
            `${c1.p50Ratio}`,
          ],
          [
            'p99 latency, concurrency 1',
            `${c1.routerP99Ms} ms`,
            `${c1.clientP99Ms} ms`,
            `${Math.round(((c1.routerP99Ms ?? 0) / (c1.clientP99Ms ?? 1)) * 1000) / 1000}`,
          ],
          [
            'throughput, concurrency 32',
            `${c32.routerRps} calls/s`,
            `${c32.clientRps} calls/s`,
            `${c32.throughputRatio}`,
          ],
        ],
      ),
    );
    out.push('');
  }
  if (res.heap) {
    const h = res.heap;
    out.push('## Heap over 100,000 routed calls (in-memory fetch)\n');
    out.push(
      table(
        ['calls', 'gc', 'start MB', 'end MB', 'max MB', 'growth after warm-up', 'slope', 'flat'],
        [
          [
            h.calls.toLocaleString('en-US'),
            h.gcExposed ? 'global.gc()' : 'no (run with --expose-gc)',
            h.startMb,
            h.endMb,
            h.maxMb,
            `${h.growthMb} MB`,
            `${h.slopeKbPer10k} KB / 10k calls`,
            h.flat ? 'yes' : 'NO',
          ],
        ],
      ),
    );
    out.push(`\nheapUsed every 10,000 calls (MB): ${h.samplesMb.join(', ')}\n`);
  }
  for (const r of res.traceReplay ?? []) {
    out.push(
      `## Trace replay: ${r.trace === 'azure' ? 'Azure LLM inference 2023 (conversation)' : "Mooncake FAST'25 (conversation)"}\n`,
    );
    out.push(
      `First ${r.windowMin} minutes of the trace: ${r.requests.toLocaleString('en-US')} requests, mean ${r.meanInputTokens} input / ${r.meanOutputTokens} output tokens, ${r.oversizedForEdge} with prompt + output > 8192. timeScale ${r.timeScale} (${Math.round(r.windowMin * 60 * r.timeScale)} s of wall clock per policy); latencies in trace time (wall ÷ timeScale), answered calls only.\n`,
    );
    out.push(
      table(
        [
          'policy',
          'answered',
          'errors',
          'lost',
          'cost USD',
          'saving vs origin-only',
          'p50 ms',
          'p95 ms',
          'p99 ms',
          'edge share',
          'ctx-length 400s edge / origin',
          'p95 edge / origin ms',
        ],
        r.policies.map((p) => [
          p.policy,
          `${p.answered}/${p.calls}`,
          p.errors,
          p.lost,
          p.costUsd.toFixed(4),
          p.policy === 'origin-only' ? '—' : pct(p.savingVsOriginOnly),
          ms(p.latencyMs.p50),
          ms(p.latencyMs.p95),
          ms(p.latencyMs.p99),
          pct(p.edgeShare),
          `${p.contextErrors.edge} / ${p.contextErrors.origin}`,
          `${p.latencyByTierMs.edge ? ms(p.latencyByTierMs.edge.p95) : '—'} / ${p.latencyByTierMs.origin ? ms(p.latencyByTierMs.origin.p95) : '—'}`,
        ]),
      ),
    );
    const lag = Math.max(...r.policies.map((p) => p.maxDispatchLagMs));
    out.push(
      `\nWorst dispatch lag of the harness behind the trace schedule: ${lag} ms wall clock.`,
    );
    for (const p of r.policies) {
      if (p.sampleErrors.length) out.push(`\n${p.policy} errors, e.g.: \`${p.sampleErrors[0]}\``);
    }
    out.push('');
  }
  if (res.slackSweep) {
    const s = res.slackSweep;
    out.push(`## Latency against cost: the slack sweep (Azure, first ${s.windowMin} minutes)\n`);
    out.push(
      `${s.requests.toLocaleString('en-US')} requests, mean ${s.meanInputTokens} input / ${s.meanOutputTokens} output tokens, timeScale ${s.timeScale}, edges with ${s.edgeSlots} slots each; Tiered with \`slack\` unset (the default queue-wait rule) and set, each on a fresh mock against origin-only on the same requests (origin-only: $${s.originOnly.costUsd.toFixed(4)}, p50 ${ms(s.originOnly.latencyMs.p50)} ms, p95 ${ms(s.originOnly.latencyMs.p95)} ms, ${s.originOnly.answered}/${s.requests} answered). Plot: \`${res.slackSweepPlot ?? 'results/slack-sweep.svg'}\` (saving against p95).\n`,
    );
    out.push(
      table(
        [
          'slack',
          'saving vs origin-only',
          'cost USD',
          'p50 ms',
          'p95 ms',
          'p99 ms',
          'edge share',
          'answered',
          'errors / lost',
          'harness lag ms',
        ],
        s.points.map((p) => [
          p.slack === 'default' ? 'unset (default)' : p.slack === 'Infinity' ? '∞' : p.slack,
          pct(p.savingVsOriginOnly),
          p.costUsd.toFixed(4),
          ms(p.latencyMs.p50),
          ms(p.latencyMs.p95),
          ms(p.latencyMs.p99),
          pct(p.edgeShare),
          `${p.answered}/${p.calls}`,
          `${p.errors} / ${p.lost}`,
          p.maxDispatchLagMs,
        ]),
      ),
    );
    out.push('');
  }
  if (res.targets?.length) {
    out.push('## Targets\n');
    out.push(
      table(
        ['trace', 'target', 'result', 'detail'],
        res.targets.map((t) => [t.trace, t.target, t.met ? 'met' : '**missed**', t.detail]),
      ),
    );
    out.push('');
  }
  if (res.faults) {
    const f = res.faults;
    out.push(
      `## Faults (Tiered, ${f.calls} calls at concurrency ${f.concurrency}, timeScale ${f.timeScale})\n`,
    );
    out.push(
      "Latency is wall-clock ms at timeScale 0.1: the mock's delays and its Retry-After are × 0.1, the router's own timers (probes, backoff, cooldowns) run in real time.\n",
    );
    out.push(
      table(
        [
          'scenario',
          'success',
          'errors',
          'lost',
          'p50 ms',
          'p99 ms',
          'attempts / call',
          'failovers',
          'backoff rounds',
          'same-tier retries (budget)',
          'edge share',
          'ejections',
          'injected',
        ],
        f.results.map((r) => [
          r.scenario,
          pct(r.successRate),
          r.errors,
          r.lost,
          r.latencyMs.p50,
          r.latencyMs.p99,
          r.attemptsPerCall,
          r.failovers,
          r.retryRounds,
          `${r.sameTierRetries} (${pct(r.budgetUseRatio)} of calls${r.budgetDenied ? `, ${r.budgetDenied} denied` : ''})`,
          pct(r.edgeShare),
          r.ejections,
          Object.entries(r.injected)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || '—',
        ]),
      ),
    );
    out.push('');
  }
  if (res.hedging) {
    out.push('## Tail latency: hedging off and on\n');
    out.push(
      'Two edges (5 ms RTT, 30 ms TTFT, jitter 0.1); a stalled answer comes 2 s late. 2,000 calls at concurrency 16; hedge delay = max(p95, 2 × p50) of the primary, `maxExtraLoad` 0.05. Target: p99 ≤ 3 × p50 with ≤ 5% extra attempts.\n',
    );
    out.push(
      table(
        [
          'scenario',
          'hedging',
          'p50 ms',
          'p95 ms',
          'p99 ms',
          'p99 ÷ p50',
          'extra attempts',
          'calls that stalled',
        ],
        res.hedging.map((h) => [
          h.scenario,
          h.hedging ? 'on' : 'off',
          h.p50Ms,
          h.p95Ms,
          h.p99Ms,
          h.p99OverP50,
          `${h.extraAttemptsPct}%`,
          `${h.stalledShareOfCallsPct}%`,
        ]),
      ),
    );
    out.push('');
  }
  if (res.fleet) out.push(fleetSection(res.fleet));
  if (res.affinity) {
    out.push('## Session affinity on the Mooncake trace (prefix cache)\n');
    out.push(
      'First 1,200 requests, four identical endpoints with a prefix cache (shared leading 512-token blocks prefill 10× faster), timeScale 0.02; TTFT in trace time. A session is a conversation: requests sharing their first two blocks. Cluster routers report about 2× from cache-aware routing; in this trace window only ~17–22% of prompt blocks repeat an earlier prefix, which bounds the gain.\n',
    );
    out.push(
      table(
        [
          'policy',
          'calls',
          'TTFT p50 ms',
          'TTFT p95 ms',
          'TTFT mean ms',
          'prompt tokens from cache',
        ],
        res.affinity.map((a) => [
          a.policy,
          a.calls,
          a.ttftP50Ms,
          a.ttftP95Ms,
          a.ttftMeanMs,
          pct(a.cachedShare),
        ]),
      ),
    );
    const rr = res.affinity.find((a) => a.policy === 'round robin');
    const sticky = res.affinity.find((a) => a.policy === 'Tiered, session affinity');
    if (rr && sticky) {
      out.push(
        `\nAffinity vs round robin: TTFT p50 ${round2(rr.ttftP50Ms / sticky.ttftP50Ms)}× faster, mean ${round2(rr.ttftMeanMs / sticky.ttftMeanMs)}× faster.`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function fleetSection(f: FleetResult): string {
  const out = ['## Shared state across processes (Redis store)\n'];
  if (f.skipped) {
    out.push(`Skipped: ${f.skipped}.\n`);
    return out.join('\n');
  }
  out.push(
    `One edge with ${f.edgeSlots} slots (20 ms to first token, 8 output tokens), each process at concurrency ${(4 * 32) / 4} (one process: 128), 1,600 calls in all; two rounds in alternating order, the better one shown. "max in flight" is what the edge itself counted (the higher of the two rounds).\n`,
  );
  out.push(
    table(
      [
        'setup',
        'processes',
        'limit per process',
        'max in flight',
        'calls/s',
        'p50 ms',
        'p99 ms',
        'failed',
      ],
      f.rows.map((r) => [
        r.setup + (r.degraded ? ' (store degraded during the run)' : ''),
        r.processes,
        r.limitPerProcess,
        r.maxInFlight,
        r.callsPerSec,
        r.p50Ms,
        r.p99Ms,
        r.failed,
      ]),
    ),
  );
  if (f.budget) {
    const b = f.budget;
    out.push(
      `\nOne session budget across 4 processes (same session id, $${b.budgetUsd}): spent $${b.spentUsd} in ${b.calls} calls, ${b.refused} refused — ${b.spentUsd <= b.budgetUsd ? 'never above the budget' : 'ABOVE THE BUDGET'}; each process alone spends $${b.aloneSpentUsd}.`,
    );
  }
  if (f.perCallOverheadUs && f.acquireReleaseUs !== undefined) {
    const o = f.perCallOverheadUs;
    out.push(
      `\nThe slot acquire: one Redis acquire + release round trip ${f.acquireReleaseUs} µs (sequential, loopback). A whole call on an in-memory upstream: ${o.alone} µs alone, ${o.redis} µs with the Redis store — ${o.added} µs added per call, the acquire and release round trips.`,
    );
  }
  out.push('');
  return out.join('\n');
}
