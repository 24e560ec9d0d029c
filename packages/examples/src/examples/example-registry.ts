import type { ExampleOptions } from '../shared/example-options.js';
import * as aiSdk from './ai-sdk.js';
import * as dropIn from './drop-in.js';
import * as escalation from './escalation.js';
import * as fetchAdapter from './fetch-adapter.js';
import * as fleet from './fleet.js';
import * as hedging from './hedging.js';
import * as langchain from './langchain.js';
import * as openaiAgents from './openai-agents.js';
import * as otel from './otel.js';
import * as sessionBudget from './session-budget.js';
import * as streamingFailover from './streaming-failover.js';
import * as threeTier from './three-tier.js';

/** A runnable example: what it shows, in one line, and its `run()`. */
export interface Example {
  readonly summary: string;
  readonly run: (options?: ExampleOptions) => Promise<unknown>;
}

/** The examples `pnpm --filter @tiered/examples example NAME` runs, by name. */
export const examples: Readonly<Record<string, Example>> = {
  'drop-in': {
    summary: 'router.chat.completions.create: short prompts to an edge, long ones to the origin',
    run: dropIn.run,
  },
  'fetch-adapter': {
    summary: 'router.fetch under the official openai client, with the x-tiered-* response headers',
    run: fetchAdapter.run,
  },
  'streaming-failover': {
    summary: 'an edge that 503s or hangs: the origin serves the stream; a cut stream throws',
    run: streamingFailover.run,
  },
  'session-budget': {
    summary:
      'router.session({ budgetUsd }): a call the budget cannot cover is refused, nothing sent',
    run: sessionBudget.run,
  },
  hedging: {
    summary: 'createRouter({ hedge: true }) against edges with a heavy tail: p95 with and without',
    run: hedging.run,
  },
  escalation: {
    summary: "route.accept validates the edge's JSON answer; a rejected one re-runs on the origin",
    run: escalation.run,
  },
  fleet: {
    summary: 'four processes, one 4-slot edge, one session budget: alone vs sharing state on Redis',
    run: fleet.run,
  },
  otel: {
    summary:
      'createRouter({ telemetry: openTelemetry() }): GenAI spans per call and attempt, traceparent upstream, metrics',
    run: otel.run,
  },
  'three-tier': {
    summary: "tiers: ['edge', 'regional', 'origin'], each call to the first tier that fits it",
    run: threeTier.run,
  },
  'ai-sdk': {
    summary:
      'Vercel AI SDK through router.fetch: streaming, tools, structured output; no double retries',
    run: aiSdk.run,
  },
  langchain: {
    summary: 'LangChain ChatOpenAI through router.fetch: streaming, tools, structured output',
    run: langchain.run,
  },
  'openai-agents': {
    summary: 'OpenAI Agents SDK through router.fetch: streamed run, tool-using agent, outputType',
    run: openaiAgents.run,
  },
};
