import { ChatOpenAI } from '@langchain/openai';
import { Agent, type RetryPolicy, retryPolicies, run as runAgent } from '@openai/agents';
import type { Router } from '@tiered/sdk';
import { generateText } from 'ai';
import { beforeAll, describe, expect, it } from 'vitest';
import * as aiSdk from '../src/examples/ai-sdk.js';
import * as langchain from '../src/examples/langchain.js';
import * as openaiAgents from '../src/examples/openai-agents.js';
import type { FrameworkApi } from '../src/frameworks/framework-driver.js';
import type { FrameworkDemoResult } from '../src/frameworks/run-framework-demo.js';
import { forecastSchema, getWeather, weatherInput } from '../src/frameworks/weather-fixtures.js';
import { edgeEndpoint, originEndpoint } from '../src/shared/example-endpoints.js';
import { RouteLog } from '../src/shared/route-log.js';
import { upstreamRequests } from '../src/shared/upstream-requests.js';
import { withRouter } from '../src/shared/with-router.js';

// Each framework example runs in-process against its own mock servers (port 0), 20× faster than
// real time, configured exactly as the SDK README documents.
const fast = { timeScale: 0.05, log: () => {} };

const bothApis = ['chat-completions', 'responses'] as const;

const frameworks: readonly {
  readonly name: string;
  readonly run: (options: typeof fast) => Promise<FrameworkDemoResult>;
  readonly apis: readonly FrameworkApi[];
  /** Whether the framework shows response headers (`x-tiered-endpoint`) to its caller. */
  readonly headers: boolean;
}[] = [
  { name: 'ai-sdk', run: aiSdk.run, apis: bothApis, headers: true },
  { name: 'langchain', run: langchain.run, apis: bothApis, headers: false },
  { name: 'openai-agents', run: openaiAgents.run, apis: bothApis, headers: false },
];

describe.each(frameworks)('$name through router.fetch', (framework) => {
  let result: FrameworkDemoResult;
  beforeAll(async () => {
    result = await framework.run(fast);
  }, 60_000);

  it('runs on every API the framework speaks, and really speaks it to router.fetch', () => {
    expect(result.apis.map((a) => a.api)).toEqual(framework.apis);
    for (const { api, requests } of result.apis) {
      expect(requests).toEqual([
        api === 'responses' ? 'POST /v1/responses' : 'POST /v1/chat/completions',
      ]);
    }
  });

  it('streams: the text arrives in pieces, from the edge that served the one routed call', () => {
    for (const { streaming } of result.apis) {
      expect(streaming.pieces).toBeGreaterThan(1);
      // The mock names the endpoint that wrote the answer in its first word.
      expect(streaming.text.startsWith('edge-1:')).toBe(true);
      expect(streaming.calls).toEqual([
        expect.objectContaining({ attempts: ['edge-1'], servedBy: 'edge-1' }),
      ]);
      if (framework.headers) expect(streaming.endpointHeader).toBe('edge-1');
    }
  });

  it('tool round trip: the model calls getWeather with valid arguments, gets its result, answers', () => {
    for (const { toolRoundTrip } of result.apis) {
      expect(toolRoundTrip.toolCalls).toHaveLength(1);
      const [call] = toolRoundTrip.toolCalls;
      expect(call?.name).toBe('getWeather');
      const args = weatherInput.parse(call?.args);
      expect(toolRoundTrip.toolResults).toEqual([getWeather(args)]);
      // Two routed calls: the one that asked for the tool, the one that carried its result.
      expect(toolRoundTrip.calls.map((c) => c.servedBy)).toEqual(['edge-1', 'edge-1']);
      expect(toolRoundTrip.answer.startsWith('edge-1:')).toBe(true);
      // The mock's answer after a tool result quotes it: the result went back to the model.
      expect(toolRoundTrip.answer).toContain(JSON.stringify(getWeather(args)));
    }
  });

  it('structured output parses against the schema; the long prompt went to the origin', () => {
    for (const { structured } of result.apis) {
      expect(forecastSchema.safeParse(structured.output).success).toBe(true);
      expect(structured.calls).toEqual([
        expect.objectContaining({ attempts: ['origin'], servedBy: 'origin' }),
      ]);
    }
  });

  it('nothing retried twice: on a failing fleet, upstream requests = the router’s own attempts', () => {
    for (const { outage } of result.apis) {
      expect(outage.map((o) => `${o.fault}/${o.mode}`)).toEqual([
        'server-error/plain',
        'server-error/stream',
        'hang/plain',
        'hang/stream',
      ]);
      for (const o of outage) {
        // One framework call → one routed call: the framework did not repeat it.
        expect(o.calls).toHaveLength(1);
        expect(o.attempts).toBeGreaterThan(1); // the router itself failed over and retried
        expect(o.upstreamRequests).toBe(o.attempts);
        expect(o.upstreamByCall).toEqual([o.attempts]);
        expect(o.calls[0]?.errorCode).toBe('all_attempts_failed');
        expect(o.error).toMatchObject({ status: 502, code: 'all_attempts_failed' });
      }
    }
  });
});

// The retry advice of the SDK README, checked against the frameworks themselves. If a new version
// starts honouring `x-should-retry: false`, the first test fails and the advice can be relaxed.
describe('retry settings the SDK README documents', () => {
  const failing = (['edge-1', 'origin'] as const).map((id) =>
    (id === 'origin' ? originEndpoint : edgeEndpoint)(id, {
      faults: { errorRate: 1, errorStatus: 503 },
    }),
  );
  const routedCalls = (call: (router: Router) => Promise<unknown>) =>
    withRouter(failing, fast, async (router, mock) => {
      const routes = new RouteLog(router);
      await expect(call(router)).rejects.toThrow();
      return { calls: routes.calls.length, upstream: (await upstreamRequests(mock)).total };
    });

  it('without maxRetries: 0, the AI SDK and LangChain repeat the whole routed call', async () => {
    const results = await Promise.all([
      routedCalls((router) =>
        generateText({ model: aiSdk.aiSdkModel(router), prompt: 'hi', maxRetries: 1 }),
      ),
      routedCalls((router) =>
        new ChatOpenAI({
          model: 'auto',
          apiKey: 'unused',
          maxRetries: 1,
          configuration: { baseURL: 'http://tiered.local/v1', fetch: router.fetch },
        }).invoke('hi'),
      ),
    ]);
    for (const r of results) {
      expect(r.calls).toBe(2); // one retry asked, one more routed call made
      expect(r.upstream).toBeGreaterThan(2);
    }
  });

  it("the Agents runner's retry stops at the router's answer with providerSuggested(), not without", async () => {
    const agentRun = (policy: RetryPolicy) => (router: Router) =>
      runAgent(
        new Agent({
          name: 'writer',
          instructions: 'Answer briefly.',
          model: openaiAgents.agentsModel(router),
          modelSettings: { retry: { maxRetries: 2, policy } },
        }),
        'hi',
      );
    const [vetoed, unvetoed] = await Promise.all([
      routedCalls(
        agentRun(
          retryPolicies.any(retryPolicies.httpStatus([502]), retryPolicies.providerSuggested()),
        ),
      ),
      routedCalls(agentRun(retryPolicies.httpStatus([502]))),
    ]);
    expect(vetoed.calls).toBe(1);
    expect(unvetoed.calls).toBe(3);
  });
});
