import { formatSummary } from './scenario/format-summary.js';
import { runScenario } from './scenario/run-scenario.js';

// `pnpm start`: the research-agent scenario on the embedded mock topology, in real time.
const out = process.stdout;
out.write(
  'Tiered — a research agent on an embedded two-tier topology\n' +
    '  edge-1, edge-2: near edges, 8k window, 4 slots, $0.05/$0.10 per M tokens\n' +
    '  origin:         far origin, 128k window, $2.50/$10.00 per M tokens\n' +
    '  5 tasks: planner → 6–10 sub-agents → long-context synthesis; edge-2 fails mid-run\n\n',
);
const report = await runScenario({ output: out });
out.write(`\n${formatSummary(report)}\n`);
