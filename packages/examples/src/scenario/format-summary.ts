import type { Percentiles } from '@tiered/sdk';
import { formatTable } from '../shared/format-table.js';
import type { ScenarioReport } from './run-scenario.js';

/** The end-of-run summary of the `pnpm start` scenario, as plain text (no ANSI codes). */
export function formatSummary(report: ScenarioReport): string {
  const { ledger, stats, outage } = report;
  const sum = (f: (e: (typeof stats.endpoints)[number]) => number) =>
    stats.endpoints.reduce((n, e) => n + f(e), 0);
  const rows = stats.endpoints.map((e) => [
    e.id,
    e.tier,
    String(ledger.byEndpoint[e.id] ?? 0),
    String(e.calls),
    String(e.errors),
    ms(e.latencyMs, 'p50'),
    ms(e.latencyMs, 'p95'),
    ms(e.ttftMs, 'p50'),
    ms(e.ttftMs, 'p95'),
    `${kTok(e.promptTokens)} / ${kTok(e.completionTokens)}`,
    usd(e.costUsd),
  ]);
  rows.push([
    'total',
    '',
    String(ledger.answered),
    String(sum((e) => e.calls)),
    String(sum((e) => e.errors)),
    '',
    '',
    '',
    '',
    `${kTok(sum((e) => e.promptTokens))} / ${kTok(sum((e) => e.completionTokens))}`,
    usd(stats.totals.costUsd),
  ]);
  const table = formatTable(
    [
      { header: 'endpoint' },
      { header: 'tier' },
      { header: 'answered', align: 'right' },
      { header: 'attempts', align: 'right' },
      { header: 'errors', align: 'right' },
      { header: 'p50 ms', align: 'right' },
      { header: 'p95 ms', align: 'right' },
      { header: 'ttft p50', align: 'right' },
      { header: 'ttft p95', align: 'right' },
      { header: 'tokens in / out', align: 'right' },
      { header: 'cost USD', align: 'right' },
    ],
    rows,
  );

  const finished = ledger.answered + ledger.failed;
  const split = report.tiers
    .map(
      (t) =>
        `${t} ${ledger.byTier[t] ?? 0} (${pct((ledger.byTier[t] ?? 0) / (ledger.answered || 1))})`,
    )
    .join(', ');
  const routes = Object.entries(ledger.failoverRoutes)
    .map(([route, n]) => `${route} ×${n}`)
    .join(', ');
  const errors = Object.entries(ledger.errors)
    .map(([code, n]) => `${code} ×${n}`)
    .join(', ');
  const synthesis = report.records.filter((r) => r.kind === 'synthesis');
  const synthesisAtOrigin = synthesis.filter(
    (r) => r.outcome === 'answered' && r.tier === report.tiers[report.tiers.length - 1],
  ).length;
  const t = stats.totals;

  return [
    `Summary — ${report.plannedCalls} calls planned, ${finished} finished: ${ledger.answered} answered, ${ledger.failed} failed${errors ? ` (${errors})` : ''}`,
    '',
    table,
    '',
    `Answered by tier   ${split}; long-context syntheses on the origin: ${synthesisAtOrigin}/${synthesis.length}`,
    `Failovers          ${ledger.failovers}${routes ? ` (${routes})` : ''}; ${ledger.rescued} of those calls answered`,
    `Retries ${ledger.retries} · hedges ${ledger.hedges} · ejections ${ledger.ejections} · restores ${ledger.restores}`,
    `Outage             ${outageLine(outage)}`,
    `Cost               ${usd(t.costUsd)} vs ${usd(t.originOnlyCostUsd)} origin-only → saving ${pct(t.savingRatio)}`,
    `Run time           ${report.durationS.toFixed(1)} s`,
    '',
    '"attempts" and "errors" count every try on the endpoint (failed-over ones included); latency and',
    'time to first token are per attempt on that endpoint, in ms (ttft from streamed calls only).',
    'The few long-context calls carry most of the tokens, and they need the origin: that is why the',
    'saving in dollars is smaller than the share of calls the edges answered.',
  ].join('\n');
}

function outageLine(o: ScenarioReport['outage']): string {
  if (o.downAtS === undefined) return 'none';
  const s = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(1)} s`);
  return `${o.endpointId} down at ${s(o.downAtS)}, back up at ${s(o.upAtS)}, restored by the router at ${s(o.restoredAtS)}`;
}

function ms(p: Percentiles, key: 'p50' | 'p95'): string {
  const v = p[key];
  return v === undefined ? '—' : v.toFixed(0);
}

function kTok(tokens: number): string {
  return tokens >= 10_000
    ? `${(tokens / 1000).toFixed(0)}k`
    : tokens >= 1000
      ? `${(tokens / 1000).toFixed(1)}k`
      : String(tokens);
}

function usd(v: number): string {
  return `$${v.toFixed(4)}`;
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}
