import type { SlackSweepResult } from './slack-sweep.js';

const W = 640;
const H = 400;
const M = { l: 64, r: 24, t: 40, b: 48 };

function esc(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c,
  );
}

/**
 * The slack sweep as a standalone SVG: saving against origin-only (y) by p95 latency (x, log
 * scale, trace-time seconds), one point per slack value joined in increasing order, the default
 * (slack unset) and origin-only marked apart. No scripts, no external resources.
 */
export function slackSweepSvg(r: SlackSweepResult): string {
  const numeric = r.points.filter((p) => p.slack !== 'default');
  const all = [...r.points.map((p) => p.latencyMs.p95), r.originOnly.latencyMs.p95].filter(
    (v) => v > 0,
  );
  const lo = Math.floor(Math.log10(Math.min(...all)));
  // Up to the next 1-2-5 step above the slowest point.
  const top = Math.max(...all) * 1.05;
  const decade = 10 ** Math.floor(Math.log10(top));
  const hiValue = ([1, 2, 5, 10].find((m) => m * decade >= top) ?? 10) * decade;
  const hi = Math.log10(hiValue);
  const x = (ms: number) =>
    M.l + ((Math.log10(Math.max(ms, 10 ** lo)) - lo) / (hi - lo || 1)) * (W - M.l - M.r);
  const y = (saving: number) => H - M.b - Math.max(0, Math.min(1, saving)) * (H - M.t - M.b);
  const parts: string[] = [];
  parts.push(
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="13">Slack sweep, Azure trace (first ${r.windowMin} min, ${r.requests.toLocaleString('en-US')} requests, edges ${r.edgeSlots} slots): saving vs p95</text>`,
  );
  // Grid and axes.
  for (let d = lo; d <= hi; d++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (v < 10 ** lo || v > hiValue) continue;
      parts.push(
        `<line x1="${x(v)}" y1="${M.t}" x2="${x(v)}" y2="${H - M.b}" stroke="${m === 1 ? '#ccc' : '#eee'}"/>`,
      );
      parts.push(
        `<text x="${x(v)}" y="${H - M.b + 14}" font-size="10" text-anchor="middle">${(v / 1000).toLocaleString('en-US')}</text>`,
      );
    }
  }
  for (const q of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    parts.push(
      `<line x1="${M.l}" x2="${W - M.r}" y1="${y(q)}" y2="${y(q)}" stroke="#eee"/><text x="${M.l - 6}" y="${y(q) + 3}" font-size="10" text-anchor="end">${Math.round(q * 100)}%</text>`,
    );
  }
  parts.push(
    `<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" stroke="#333"/><line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" stroke="#333"/>`,
  );
  parts.push(
    `<text x="${(W + M.l) / 2}" y="${H - 10}" font-size="12" text-anchor="middle">p95 latency, trace-time seconds (log scale)</text>`,
  );
  parts.push(
    `<text x="16" y="${(H - M.b + M.t) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(H - M.b + M.t) / 2})">cost saving vs origin-only</text>`,
  );
  // The sweep, in increasing slack.
  const pts = numeric.map(
    (p) => `${x(p.latencyMs.p95).toFixed(1)},${y(p.savingVsOriginOnly).toFixed(1)}`,
  );
  parts.push(
    `<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${pts.join(' ')}"/>`,
  );
  // Labels alternate above and below the line: neighbouring points are often close.
  for (const [i, p] of numeric.entries()) {
    const cx = x(p.latencyMs.p95);
    const cy = y(p.savingVsOriginOnly);
    parts.push(`<circle cx="${cx}" cy="${cy}" r="4" fill="#1f77b4"/>`);
    parts.push(
      // The last point's label goes to its left, inside the frame.
      `<text x="${i === numeric.length - 1 ? cx - 6 : cx + 4}" y="${i % 2 ? cy + 16 : cy - 8}" font-size="11" fill="#1f77b4"${i === numeric.length - 1 ? ' text-anchor="end"' : ''}>${esc(slackLabel(p.slack))}</text>`,
    );
  }
  const def = r.points.find((p) => p.slack === 'default');
  if (def) {
    const cx = x(def.latencyMs.p95);
    const cy = y(def.savingVsOriginOnly);
    parts.push(
      `<rect x="${cx - 4}" y="${cy - 4}" width="8" height="8" fill="#2ca02c"/><text x="${cx - 6}" y="${cy + 4}" font-size="11" text-anchor="end" fill="#2ca02c">default</text>`,
    );
  }
  const ox = x(r.originOnly.latencyMs.p95);
  parts.push(
    `<path d="M${ox - 5},${y(0) + 5} L${ox + 5},${y(0) - 5} M${ox - 5},${y(0) - 5} L${ox + 5},${y(0) + 5}" stroke="#555" stroke-width="2"/><text x="${ox + 6}" y="${y(0) - 8}" font-size="11" fill="#555">origin-only</text>`,
  );
  // Every point in words, lower right: the plot's points may sit on top of each other.
  const rows = [
    ...r.points.map((p) => ({
      text: `${slackLabel(p.slack)}: ${Math.round(p.savingVsOriginOnly * 1000) / 10}% saved, p95 ${(p.latencyMs.p95 / 1000).toFixed(1)} s`,
      color: p.slack === 'default' ? '#2ca02c' : '#1f77b4',
    })),
    {
      text: `origin-only: p95 ${(r.originOnly.latencyMs.p95 / 1000).toFixed(1)} s`,
      color: '#555',
    },
  ];
  const lx = W - M.r - 250;
  const ly = H - M.b - 14 - rows.length * 14;
  parts.push(
    `<rect x="${lx - 6}" y="${ly - 12}" width="252" height="${rows.length * 14 + 8}" fill="#fff" stroke="#ddd"/>`,
  );
  for (const [i, row] of rows.entries()) {
    parts.push(
      `<text x="${lx}" y="${ly + i * 14}" font-size="11" fill="${row.color}">${esc(row.text)}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" role="img">
<title>Slack sweep: cost saving against p95 latency</title>
<rect width="${W}" height="${H}" fill="#fff"/>
${parts.join('\n')}
</svg>
`;
}

function slackLabel(slack: SlackSweepResult['points'][number]['slack']): string {
  return slack === 'default'
    ? 'default (unset)'
    : slack === 'Infinity'
      ? 'slack ∞'
      : `slack ${slack}`;
}
