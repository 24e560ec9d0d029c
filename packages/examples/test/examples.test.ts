import { redisServerInstalled } from '@tiered/mock-server';
import { describe, expect, it } from 'vitest';
import * as dropIn from '../src/examples/drop-in.js';
import * as escalation from '../src/examples/escalation.js';
import { examples } from '../src/examples/example-registry.js';
import * as fetchAdapter from '../src/examples/fetch-adapter.js';
import * as fleet from '../src/examples/fleet.js';
import * as hedging from '../src/examples/hedging.js';
import * as otel from '../src/examples/otel.js';
import * as sessionBudget from '../src/examples/session-budget.js';
import * as streamingFailover from '../src/examples/streaming-failover.js';
import * as threeTier from '../src/examples/three-tier.js';
import { formatSummary } from '../src/scenario/format-summary.js';
import { createProgressDisplay } from '../src/scenario/progress-display.js';
import { plannedCalls } from '../src/scenario/research-agent.js';
import { researchTasks } from '../src/scenario/research-tasks.js';
import { runScenario } from '../src/scenario/run-scenario.js';

// Every example runs in-process against its own mock server, 20× faster than real time.
const fast = { timeScale: 0.05, log: () => {} };

describe('examples', () => {
  it('drop-in: a short prompt is answered by an edge, a long one by the origin, a pin is honoured', async () => {
    const { calls } = await dropIn.run(fast);
    expect(calls.map((c) => c.tier)).toEqual(['edge', 'origin', 'origin']);
    expect(calls[0]?.endpointId).toMatch(/^edge-/);
    // The mock names the endpoint that wrote the answer in its first word.
    for (const c of calls) expect(c.content.startsWith(`${c.endpointId}:`)).toBe(true);
  });

  it('fetch-adapter: the openai client routed through router.fetch gets x-tiered-* headers', async () => {
    const { calls, models } = await fetchAdapter.run(fast);
    expect(models).toEqual(expect.arrayContaining(['auto', 'edge', 'origin', 'edge-1']));
    expect(calls.map((c) => [c.endpoint, c.tier])).toEqual([
      ['edge-1', 'edge'],
      ['origin', 'origin'],
    ]);
    for (const c of calls) expect(c.requestId).toBeTruthy();
  });

  it('streaming-failover: the origin serves streams the edge failed; a cut stream throws StreamInterruptedError', async () => {
    const { failedOver, interrupted } = await streamingFailover.run(fast);
    expect(failedOver.map((s) => [s.endpointId, s.failovers[0]?.failure])).toEqual([
      ['origin', 'server'],
      ['origin', 'timeout'],
    ]);
    for (const s of failedOver) {
      expect(s.failovers).toEqual([
        expect.objectContaining({ fromEndpointId: 'edge-1', toEndpointId: 'origin' }),
      ]);
      // Failover before the first token is invisible: the text is the origin's alone.
      expect(s.text.startsWith('origin:')).toBe(true);
    }
    expect(interrupted).toMatchObject({
      errorName: 'StreamInterruptedError',
      code: 'stream_interrupted',
      reason: 'disconnect',
      endpointId: 'edge-1',
    });
    expect(interrupted.chunksReceived).toBeGreaterThan(0);
    expect(interrupted.textSoFar.startsWith('edge-1:')).toBe(true);
  });

  it('three-tier: each prompt goes to the first tier whose window fits; with the edge down, one tier up', async () => {
    const { calls } = await threeTier.run(fast);
    expect(calls.map((c) => [c.label, c.tier])).toEqual([
      ['short prompt', 'edge'],
      ['20k-token prompt', 'regional'],
      ['40k-token prompt', 'origin'],
      ['short prompt, edge down', 'regional'],
    ]);
  });

  it.runIf(Boolean(process.env.REDIS_URL) || redisServerInstalled() || process.env.CI)(
    'fleet: 4 processes alone overrun the edge and the budget; sharing Redis they keep both',
    { timeout: 60_000 },
    async () => {
      // Half speed, not 20×: four processes must overlap for the point to show.
      const { limit, budgetUsd, alone, shared } = await fleet.run({
        timeScale: 0.5,
        log: () => {},
      });
      expect(alone.edgeMaxInFlight).toBeGreaterThan(limit);
      expect(alone.spentUsd).toBeGreaterThan(budgetUsd);
      expect(shared.edgeMaxInFlight).toBeLessThanOrEqual(limit);
      expect(shared.spentUsd).toBeLessThanOrEqual(budgetUsd);
      expect(shared.refused).toBeGreaterThan(0);
      expect(shared.failed + alone.failed).toBe(0);
      // They met on the store (a process that finished early may have seen fewer than all four).
      expect(Math.max(...shared.reports.map((r) => r.members))).toBe(4);
    },
  );

  it('session-budget: cheap calls fit the budget; the one it cannot cover is refused, nothing sent', async () => {
    const { answered, refused, originReceived, session } = await sessionBudget.run(fast);
    expect(answered).toEqual({ 'edge-1': 3 });
    expect(refused).toMatchObject({
      errorName: 'BudgetExceededError',
      code: 'budget_exceeded',
      budgetUsd: 0.01,
    });
    expect(refused.worstCaseUsd).toBeGreaterThan(refused.budgetUsd - refused.spentUsd);
    expect(originReceived).toBe(0);
    expect(session.costUsd).toBeLessThan(0.01);
  });

  it('escalation: an answer route.accept rejects is re-run on the next tier; an accepted one is kept', async () => {
    const { calls } = await escalation.run(fast);
    expect(
      calls.map((c) => [c.servedBy, c.attempts.map((a) => `${a.endpointId}:${a.kind}`)]),
    ).toEqual([
      ['edge-1', ['edge-1:primary']],
      ['origin', ['edge-1:primary', 'origin:escalation']],
    ]);
    expect(calls[1]?.words).toBeGreaterThanOrEqual(20);
  });

  it('hedging: hedge: true sends second attempts within its budget; none without it', async () => {
    const { withoutHedge, withHedge } = await hedging.run(fast);
    expect(withoutHedge.calls).toBe(40);
    expect(withHedge.calls).toBe(40);
    expect(withoutHedge.hedges).toBe(0);
    expect(withHedge.hedges).toBeGreaterThan(0);
    // The extra load stays bounded (5% of calls by default, plus a small floor).
    expect(withHedge.hedges).toBeLessThanOrEqual(10);
  });

  it('otel: a span per call under the app span, a span per attempt, traceparent upstream, metrics', async () => {
    // Real time (~1.5 s): the test asserts the exact span tree, which a first-token timeout on a
    // loaded machine (250 ms at 20× speed) would change.
    const { spans, propagated, metrics } = await otel.run({
      log: () => {},
      consoleExporter: false,
    });
    const calls = spans.filter((s) => s.name.startsWith('chat '));
    expect(calls.map((s) => [s.parent, s.attributes['tiered.endpoint.id'], s.status])).toEqual([
      ['agent task', 'edge-1', 'unset'],
      ['agent task', 'edge-1', 'unset'],
      ['agent task', 'origin', 'unset'],
    ]);
    expect(calls[1]?.attributes['gen_ai.request.stream']).toBe(true);
    const attempts = spans.filter((s) => s.name.startsWith('attempt '));
    expect(attempts.map((s) => [s.name, s.attributes['error.type'] ?? null])).toEqual([
      ['attempt edge-1', null],
      ['attempt edge-1', null],
      ['attempt edge-1', 'server'],
      ['attempt origin', null],
    ]);
    for (const a of attempts) expect(a.parent).toBe('chat auto');
    expect(propagated).toHaveLength(4);
    expect(propagated.every((p) => p.received)).toBe(true);
    expect(metrics).toMatchObject({
      'gen_ai.client.operation.duration': 3,
      'gen_ai.client.token.usage': 6,
      'gen_ai.client.operation.time_to_first_chunk': 1,
    });
  });

  it('the registry lists every example with a summary', () => {
    expect(Object.keys(examples).sort()).toEqual(
      [
        'ai-sdk',
        'drop-in',
        'escalation',
        'fetch-adapter',
        'fleet',
        'hedging',
        'langchain',
        'openai-agents',
        'otel',
        'session-budget',
        'streaming-failover',
        'three-tier',
      ].sort(),
    );
    for (const e of Object.values(examples)) expect(e.summary.length).toBeGreaterThan(10);
  });
});

describe('pnpm start scenario (20× faster)', () => {
  it('accounts for every call, fails over during the outage and sends the syntheses to the origin', async () => {
    const report = await runScenario({ timeScale: 0.05 });
    const planned = plannedCalls(researchTasks);
    expect(report.plannedCalls).toBe(planned);

    // Every call accounted for: answered, or ended with a typed error (never an untyped one).
    expect(report.records).toHaveLength(planned);
    for (const r of report.records) {
      if (r.outcome === 'failed') expect(r.errorCode).not.toBe('untyped');
    }
    const { ledger } = report;
    expect(ledger.started).toBe(planned);
    expect(ledger.answered + ledger.failed).toBe(planned);
    expect(ledger.answered).toBe(report.records.filter((r) => r.outcome === 'answered').length);
    // The mock agrees: one complete answer upstream per answered call, none lost, none twice.
    const completed = Object.values(report.mock).reduce((n, s) => n + s.completed, 0);
    expect(completed).toBe(ledger.answered);

    // The outage happened, calls on the failed edge failed over, and the router took it back.
    expect(report.outage.downAtS).toBeDefined();
    expect(report.outage.upAtS).toBeDefined();
    expect(ledger.failovers).toBeGreaterThan(0);
    expect(Object.keys(ledger.failoverRoutes).some((r) => r.startsWith('edge-2 →'))).toBe(true);
    expect(ledger.ejections).toBeGreaterThan(0);
    expect(report.outage.restoredAtS).toBeDefined();

    // Long-context syntheses went to the origin; most calls stayed on the edges.
    const syntheses = report.records.filter((r) => r.kind === 'synthesis');
    expect(syntheses).toHaveLength(researchTasks.length);
    for (const s of syntheses) expect(s).toMatchObject({ outcome: 'answered', tier: 'origin' });
    expect(ledger.byTier.edge ?? 0).toBeGreaterThan(ledger.byTier.origin ?? 0);
    expect(report.stats.totals.savingRatio).toBeGreaterThan(0);

    const summary = formatSummary(report);
    expect(summary).toContain('saving');
    expect(summary.includes('\u001b')).toBe(false); // plain text, no ANSI codes
  });
});

describe('progress display', () => {
  const snapshot = {
    started: 3,
    answered: 2,
    failed: 0,
    byTier: { edge: 2 },
    byEndpoint: { 'edge-1': 2 },
    failovers: 0,
    failoverRoutes: {},
    rescued: 0,
    retries: 0,
    hedges: 0,
    ejections: 0,
    restores: 0,
    errors: {},
  };
  const drive = (isTTY: boolean) => {
    let text = '';
    const display = createProgressDisplay(
      { isTTY, columns: 120, write: (t: string) => (text += t) },
      10,
      ['edge', 'origin'],
    );
    display.phase('task 1/2 · planner', 0);
    display.update(snapshot);
    display.phase('task 1/2 · sub-agents ×8', 0.5);
    display.note({ atS: 0.7, text: 'edge-2 goes down' });
    display.finish();
    return text;
  };

  it('without a TTY: one plain line per phase and per note, no control codes', () => {
    const text = drive(false);
    expect(text.split('\n').filter(Boolean)).toEqual([
      expect.stringContaining('task 1/2 · planner'),
      expect.stringMatching(/task 1\/2 · sub-agents ×8 .*2\/10 calls · edge 2 · origin 0/),
      expect.stringContaining('! edge-2 goes down'),
    ]);
    expect(text.includes('\r') || text.includes('\u001b')).toBe(false);
  });

  it('on a TTY: one live line redrawn with \\r', () => {
    const text = drive(true);
    expect(text).toContain('\r');
    expect(text).toContain('2/10 calls · edge 2 · origin 0');
    expect(text.split('\n')).toHaveLength(2); // only the note ends a line
  });
});
