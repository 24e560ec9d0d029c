import { type BenchResults, markdown } from './report.js';
import { slackSweepSvg } from './slack-chart.js';
import type { ReplayResult } from './trace-replay.js';

/**
 * A self-contained HTML report: inline CSS and SVG, no scripts, no network. Per replayed trace:
 * latency CDF per policy (log scale), cost per policy, and the edge share over the window.
 */
export function htmlReport(res: BenchResults): string {
  const sections = (res.traceReplay ?? []).map(traceSection).join('\n');
  const sweep = res.slackSweep
    ? `<h2>Slack sweep (Azure)</h2>\n${slackSweepSvg(res.slackSweep).replace(/^<svg xmlns="[^"]*" /, '<svg ')}`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tiered benchmark ${esc(res.date)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1,h2,h3{font-weight:600} table{border-collapse:collapse;margin:.5rem 0 1.2rem} td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
td:first-child,th:first-child{text-align:left} .charts{display:flex;flex-wrap:wrap;gap:1rem}
svg{background:#fafafa;border:1px solid #ddd} .legend span{display:inline-block;margin-right:1rem}
.sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem;font-size:12px}
</style></head><body>
<h1>Tiered benchmark</h1>
<p>${esc(res.date)} — ${esc(res.machine)}</p>
${sections}
${sweep}
<h2>All results (Markdown summary)</h2>
<pre>${esc(markdown(res))}</pre>
</body></html>
`;
}

const COLORS = ['#555', '#d62728', '#ff7f0e', '#1f77b4', '#2ca02c', '#9467bd'];

function esc(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c,
  );
}

function legend(names: readonly string[]): string {
  return `<p class="legend">${names
    .map(
      (n, i) =>
        `<span><i class="sw" style="background:${COLORS[i % COLORS.length]}"></i>${esc(n)}</span>`,
    )
    .join('')}</p>`;
}

function traceSection(r: ReplayResult): string {
  const names = r.policies.map((p) => p.policy);
  return `<h2>Trace replay: ${esc(r.trace)} (first ${r.windowMin} min, ${r.requests} requests, timeScale ${r.timeScale})</h2>
${legend(names)}
<div class="charts">
${cdfChart(r)}
${costChart(r)}
${splitChart(r)}
</div>`;
}

const W = 520;
const H = 300;
const M = { l: 56, r: 12, t: 24, b: 40 };

function frame(title: string, inner: string): string {
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img"><title>${esc(title)}</title>
<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>${inner}</svg>`;
}

function cdfChart(r: ReplayResult): string {
  const all = r.policies.flatMap((p) => p.cdf).filter((x) => x > 0);
  const lo = Math.log10(Math.max(10, Math.min(...all)));
  const hi = Math.log10(Math.max(...all) * 1.05);
  const x = (v: number) =>
    M.l + ((Math.log10(Math.max(v, 10)) - lo) / (hi - lo || 1)) * (W - M.l - M.r);
  const y = (q: number) => H - M.b - q * (H - M.t - M.b);
  let inner = axes('latency, trace-time ms (log)', 'share of calls');
  for (let d = Math.ceil(lo); d <= hi; d++) {
    inner += `<line x1="${x(10 ** d)}" y1="${M.t}" x2="${x(10 ** d)}" y2="${H - M.b}" stroke="#ddd"/><text x="${x(10 ** d)}" y="${H - M.b + 14}" font-size="10" text-anchor="middle">${(10 ** d).toLocaleString('en-US')}</text>`;
  }
  for (const q of [0, 0.5, 0.95, 1]) {
    inner += `<text x="${M.l - 4}" y="${y(q) + 3}" font-size="10" text-anchor="end">${q}</text><line x1="${M.l}" x2="${W - M.r}" y1="${y(q)}" y2="${y(q)}" stroke="#eee"/>`;
  }
  r.policies.forEach((p, i) => {
    const pts = p.cdf.map((v, k) => `${x(v).toFixed(1)},${y(k / 100).toFixed(1)}`).join(' ');
    inner += `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.8" points="${pts}"/>`;
  });
  return frame('Latency CDF per policy', inner);
}

function costChart(r: ReplayResult): string {
  const max = Math.max(...r.policies.map((p) => p.costUsd)) || 1;
  const bw = (W - M.l - M.r) / r.policies.length;
  let inner = axes('', 'cost, USD');
  r.policies.forEach((p, i) => {
    const h = (p.costUsd / max) * (H - M.t - M.b - 14);
    const x0 = M.l + i * bw + bw * 0.15;
    inner += `<rect x="${x0}" y="${H - M.b - h}" width="${bw * 0.7}" height="${h}" fill="${COLORS[i % COLORS.length]}"/>`;
    inner += `<text x="${x0 + bw * 0.35}" y="${H - M.b - h - 4}" font-size="10" text-anchor="middle">$${p.costUsd.toFixed(2)}</text>`;
    inner += `<text x="${x0 + bw * 0.35}" y="${H - M.b + 14}" font-size="9" text-anchor="middle">${esc(p.policy.slice(0, 18))}</text>`;
  });
  return frame('Cost per policy (usage × price)', inner);
}

function splitChart(r: ReplayResult): string {
  const n = r.policies[0]?.edgeShareOverTime.length ?? 1;
  const x = (k: number) => M.l + ((k + 0.5) / n) * (W - M.l - M.r);
  const y = (q: number) => H - M.b - q * (H - M.t - M.b);
  let inner = axes(`trace minute (0–${r.windowMin})`, 'edge share of answered calls');
  for (const q of [0, 0.25, 0.5, 0.75, 1]) {
    inner += `<text x="${M.l - 4}" y="${y(q) + 3}" font-size="10" text-anchor="end">${q}</text><line x1="${M.l}" x2="${W - M.r}" y1="${y(q)}" y2="${y(q)}" stroke="#eee"/>`;
  }
  r.policies.forEach((p, i) => {
    const pts = p.edgeShareOverTime
      .map((v, k) => `${x(k).toFixed(1)},${y(v).toFixed(1)}`)
      .join(' ');
    inner += `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.8" points="${pts}"/>`;
  });
  return frame('Tier split over time (edge share)', inner);
}

function axes(xLabel: string, yLabel: string): string {
  return `<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" stroke="#333"/><line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" stroke="#333"/>
<text x="${(W + M.l) / 2}" y="${H - 8}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>
<text x="14" y="${(H - M.b + M.t) / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${(H - M.b + M.t) / 2})">${esc(yLabel)}</text>`;
}
