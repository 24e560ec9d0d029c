import { type MockStats, startMockServer } from '@tiered/mock-server';
import { createRouter, type RouterStats } from '@tiered/sdk';
import { scaledTimings } from '../shared/scaled-timings.js';
import { routerEndpoints } from '../shared/tier-endpoint.js';
import { createAgentClient } from './agent-client.js';
import { CallLedger, type LedgerNote, type LedgerSnapshot } from './call-ledger.js';
import { createProgressDisplay, type ProgressOutput } from './progress-display.js';
import {
  type AgentPhase,
  type CallRecord,
  plannedCalls,
  runResearchAgent,
} from './research-agent.js';
import { type ResearchTask, researchTasks } from './research-tasks.js';
import { OUTAGE_ENDPOINT, researchTopology } from './research-topology.js';

/** Options of {@link runScenario}. */
export interface ScenarioOptions {
  /** Multiplies every simulated delay and the router's timers. @default 1 */
  readonly timeScale?: number | undefined;
  /** The agent's tasks. The outage needs at least 4. @default researchTasks (5) */
  readonly tasks?: readonly ResearchTask[] | undefined;
  /** Where live progress goes (a TTY gets a live line); none when omitted. */
  readonly output?: ProgressOutput | undefined;
  /** Seed of the mock topology. @default 1 */
  readonly seed?: number | undefined;
}

/** When the outage happened, in seconds since the start. */
export interface OutageTimes {
  readonly endpointId: string;
  readonly downAtS: number | undefined;
  readonly upAtS: number | undefined;
  /** When the router took it back into rotation (after `upAtS`). */
  readonly restoredAtS: number | undefined;
}

/** Everything the run produced, for the summary and for tests. */
export interface ScenarioReport {
  readonly plannedCalls: number;
  readonly records: readonly CallRecord[];
  readonly ledger: LedgerSnapshot;
  readonly notes: readonly LedgerNote[];
  readonly stats: RouterStats;
  /** The mock endpoints' own counters, by id. */
  readonly mock: Readonly<Record<string, MockStats>>;
  readonly outage: OutageTimes;
  readonly tiers: readonly string[];
  readonly durationS: number;
}

const PHASE_LABEL = { planner: 'planner', 'sub-agent': 'sub-agents', synthesis: 'synthesis' };

/**
 * The `pnpm start` scenario: a research agent on an embedded two-tier mock topology. One edge goes
 * down while the second task's sub-agents are in flight (their calls are cut and fail over), and
 * comes back when the fourth task starts; probes every 500 ms bring it back into rotation.
 */
export async function runScenario(options: ScenarioOptions = {}): Promise<ScenarioReport> {
  const timeScale = options.timeScale ?? 1;
  const tasks = options.tasks ?? researchTasks;
  const total = plannedCalls(tasks);
  const tiers = ['edge', 'origin'];

  const mock = await startMockServer({
    seed: options.seed ?? 1,
    timeScale,
    endpoints: researchTopology.map((e) => e.profile),
  });
  const router = createRouter({
    endpoints: routerEndpoints(mock, researchTopology),
    tiers,
    ...scaledTimings(timeScale, 500),
  });

  const display = options.output ? createProgressDisplay(options.output, total, tiers) : undefined;
  const ledger = new CallLedger(router, (l, note) => {
    if (note) display?.note(note);
    else display?.update(l.snapshot());
  });

  // The outage, keyed to the agent's phases rather than the clock, so it lands in the same place
  // at any time scale: down a moment into task 2's fan-out, up as task 4 starts.
  const outageEdge = mock.endpoint(OUTAGE_ENDPOINT);
  const incidents: Promise<unknown>[] = [];
  let downAtS: number | undefined;
  let upAtS: number | undefined;
  let restoredAtS: number | undefined;
  router.on('endpoint:restore', (e) => {
    if (e.endpointId === OUTAGE_ENDPOINT && downAtS !== undefined)
      restoredAtS ??= ledger.elapsedS();
  });
  const onPhase = (p: AgentPhase) => {
    display?.phase(
      `task ${p.task}/${p.taskCount} · ${PHASE_LABEL[p.kind]}${p.calls > 1 ? ` ×${p.calls}` : ''}`,
      ledger.elapsedS(),
    );
    if (p.task === 2 && p.kind === 'sub-agent') {
      const down = new Promise((resolve) => setTimeout(resolve, 150 * timeScale)).then(async () => {
        await outageEdge.control({ down: true });
        downAtS = ledger.elapsedS();
        ledger.note(`${OUTAGE_ENDPOINT} goes down (listener closed, open connections cut)`);
      });
      incidents.push(down);
    }
    if (p.task === Math.min(4, tasks.length) && p.kind === 'planner' && downAtS !== undefined) {
      incidents.push(
        outageEdge.control({ down: false }).then(() => {
          upAtS = ledger.elapsedS();
          ledger.note(`${OUTAGE_ENDPOINT} is back up`);
        }),
      );
    }
  };

  try {
    const records = await runResearchAgent({
      tasks,
      clientFor: (task) => createAgentClient(router, { id: `research-task-${task}` }),
      onPhase,
    });
    await Promise.all(incidents);
    const durationS = ledger.elapsedS();
    display?.finish();
    return {
      plannedCalls: total,
      records,
      ledger: ledger.snapshot(),
      notes: ledger.notes,
      stats: router.stats(),
      mock: Object.fromEntries(mock.endpoints.map((e) => [e.id, e.stats()])),
      outage: { endpointId: OUTAGE_ENDPOINT, downAtS, upAtS, restoredAtS },
      tiers,
      durationS,
    };
  } finally {
    display?.finish();
    await Promise.allSettled(incidents);
    await router.close();
    await mock.close();
  }
}
