/**
 * Runs every benchmark (or `--only NAME[,NAME]`), writes `results/latest.json` and
 * `results/latest.md`, prints the summary, and with `--html FILE` writes a self-contained HTML
 * report. Names: decision, overhead, heap, replay (both traces), replay-azure, replay-mooncake,
 * slack (the slack sweep on Azure; also writes results/slack-sweep.svg), faults, hedging,
 * affinity, telemetry, fleet.
 *
 *   pnpm bench                              # everything, ~5½ min on 2 cores
 *   pnpm bench --only decision,heap
 *   pnpm bench --only replay-azure --html report.html
 *   pnpm bench --only slack --out slack-sweep                # the sweep alone: results/slack-sweep.*
 *   pnpm bench --only slack --sweep-slots 4 --out slack-4    # on the standard 4-slot edges
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { affinityBench } from './affinity.js';
import { decisionBench } from './decision.js';
import { faultBench } from './faults.js';
import { fleetBench } from './fleet.js';
import { heapBench } from './heap.js';
import { hedgingTailBench } from './hedging-tail.js';
import { htmlReport } from './html-report.js';
import { machine, round } from './measure.js';
import { overheadBench } from './overhead.js';
import { type BenchResults, judgeTargets, markdown } from './report.js';
import { slackSweepSvg } from './slack-chart.js';
import { SLACK_SWEEP, slackSweep } from './slack-sweep.js';
import { telemetryOverheadBench } from './telemetry-overhead.js';
import { REPLAYS, type ReplayResult, replayTrace } from './trace-replay.js';

const NAMES = [
  'decision',
  'overhead',
  'heap',
  'replay',
  'replay-azure',
  'replay-mooncake',
  'slack',
  'faults',
  'hedging',
  'affinity',
  'telemetry',
  'fleet',
];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    html: { type: 'string' },
    out: { type: 'string' },
    'sweep-slots': { type: 'string' },
  },
  // pnpm passes a lone `--` through when called as `pnpm bench -- --only x`.
  args: process.argv.slice(2).filter((a) => a !== '--'),
});
const only = values.only
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const n of only ?? []) {
  if (!NAMES.includes(n)) {
    console.error(`Unknown benchmark \`${n}\`; known: ${NAMES.join(', ')}`);
    process.exit(2);
  }
}
const want = (name: string) =>
  !only || only.includes(name) || (name.startsWith('replay-') && only.includes('replay'));

const started = performance.now();
const res: BenchResults = { date: new Date().toISOString(), machine: machine() };
const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
  const t0 = performance.now();
  console.error(`[bench] ${name}…`);
  const out = await fn();
  console.error(`[bench] ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return out;
};

if (want('decision')) res.decision = await step('decision', () => decisionBench());
if (want('telemetry')) res.telemetry = await step('telemetry', () => telemetryOverheadBench());
if (want('overhead')) res.overhead = await step('overhead', () => overheadBench());
if (want('heap')) res.heap = await step('heap', () => heapBench());
const replays: ReplayResult[] = [];
for (const cfg of REPLAYS) {
  if (want(`replay-${cfg.trace}`))
    replays.push(await step(`replay ${cfg.trace}`, () => replayTrace(cfg)));
}
if (replays.length) {
  res.traceReplay = replays;
  res.targets = judgeTargets(replays);
}
if (want('slack')) {
  const slots = values['sweep-slots'] === undefined ? undefined : Number(values['sweep-slots']);
  if (slots !== undefined && !(Number.isInteger(slots) && slots > 0)) {
    console.error(`\`--sweep-slots\` must be a positive integer, got ${values['sweep-slots']}`);
    process.exit(2);
  }
  res.slackSweep = await step('slack sweep', () =>
    slackSweep(slots === undefined ? SLACK_SWEEP : { ...SLACK_SWEEP, edgeSlots: slots }),
  );
}
if (want('faults')) res.faults = await step('faults', () => faultBench());
if (want('hedging')) res.hedging = await step('hedging', () => hedgingTailBench());
if (want('affinity')) res.affinity = await step('affinity', () => affinityBench());
if (want('fleet')) res.fleet = await step('fleet', () => fleetBench());
res.seconds = round((performance.now() - started) / 1000, 1);

const dir = new URL('../results/', import.meta.url);
mkdirSync(dir, { recursive: true });
const base = values.out ?? 'latest';
if (res.slackSweep) {
  // `--out NAME` writes results/NAME.svg, so a sweep on other edges does not replace the default one.
  const svg = base === 'latest' ? 'slack-sweep.svg' : `${base}.svg`;
  writeFileSync(new URL(svg, dir), slackSweepSvg(res.slackSweep));
  res.slackSweepPlot = `results/${svg}`;
}
writeFileSync(new URL(`${base}.json`, dir), `${JSON.stringify(res, null, 2)}\n`);
const md = markdown(res);
writeFileSync(new URL(`${base}.md`, dir), `${md}\n`);
if (values.html) {
  writeFileSync(values.html, htmlReport(res));
  console.error(`[bench] HTML report: ${values.html}`);
}
// A full run also refreshes the results section of the README (headings one level down).
if (!only && !values.out) {
  const readme = new URL('../README.md', import.meta.url);
  const text = readFileSync(readme, 'utf8');
  const body = md
    .replace(/^# .*\n/, '')
    .replace(/^(#+) /gm, '$1# ')
    .trim();
  const next = text.replace(
    /<!-- results:start -->[\s\S]*<!-- results:end -->/,
    `<!-- results:start -->\n${body}\n<!-- results:end -->`,
  );
  if (next !== text) writeFileSync(readme, next);
}
console.log(md);
