import {
  Agent,
  type Model,
  OpenAIChatCompletionsModel,
  OpenAIResponsesModel,
  run as runAgent,
  setTracingDisabled,
  tool,
} from '@openai/agents';
import OpenAI from 'openai';
import type { FrameworkApi, FrameworkDriver, RoutedFetch } from '../frameworks/framework-driver.js';
import { type FrameworkDemoResult, runFrameworkDemo } from '../frameworks/run-framework-demo.js';
import {
  forecastSchema,
  getWeather,
  weatherInput,
  weatherToolDescription,
} from '../frameworks/weather-fixtures.js';
import type { ExampleOptions } from '../shared/example-options.js';

/**
 * The Agents SDK's model for a router: an `openai` client on `router.fetch` (placeholder base URL
 * and key; each endpoint gets its own key from the router), wrapped in the model class of the API.
 *
 * Retries need no setting here: the openai client honours the `x-should-retry: false` the router
 * puts on its error answers, and the Agents runner retries only when `modelSettings.retry` asks
 * (its `retryPolicies.providerSuggested()` honours the header too).
 */
export function agentsModel(router: RoutedFetch, api: FrameworkApi = 'chat-completions'): Model {
  const client = new OpenAI({
    baseURL: 'http://tiered.local/v1',
    apiKey: 'unused',
    fetch: router.fetch,
  });
  return api === 'responses'
    ? new OpenAIResponsesModel(client, 'auto')
    : new OpenAIChatCompletionsModel(client, 'auto');
}

/** The Agents SDK through `router.fetch`: a streamed run, a tool-using agent, an `outputType` agent. */
export function agentsDriver(router: RoutedFetch, api: FrameworkApi): FrameworkDriver {
  // Traces would go to OpenAI's servers; an example on a mock topology keeps everything local.
  setTracingDisabled(true);
  const model = agentsModel(router, api);
  const writer = new Agent({ name: 'writer', instructions: 'Answer briefly.', model });
  const weather = new Agent({
    name: 'weather',
    instructions: 'Answer weather questions with the getWeather tool.',
    model,
    tools: [
      tool({
        name: 'getWeather',
        description: weatherToolDescription,
        parameters: weatherInput,
        execute: async (input) => getWeather(input),
      }),
    ],
  });
  const extractor = new Agent({
    name: 'extractor',
    instructions: 'Extract the forecast.',
    model,
    outputType: forecastSchema,
  });
  return {
    async stream(prompt) {
      const result = await runAgent(writer, prompt, { stream: true });
      const pieces: string[] = [];
      for await (const text of result.toTextStream()) pieces.push(text);
      await result.completed;
      if (result.error) throw result.error;
      return { pieces };
    },
    async toolRoundTrip(prompt) {
      const result = await runAgent(weather, prompt);
      const toolCalls: { name: string; args: unknown }[] = [];
      const toolResults: unknown[] = [];
      for (const item of result.newItems) {
        if (item.type === 'tool_call_item' && item.rawItem.type === 'function_call') {
          toolCalls.push({ name: item.rawItem.name, args: JSON.parse(item.rawItem.arguments) });
        }
        if (item.type === 'tool_call_output_item') toolResults.push(item.output);
      }
      return { toolCalls, toolResults, answer: String(result.finalOutput ?? '') };
    },
    async structured(prompt) {
      return (await runAgent(extractor, prompt)).finalOutput;
    },
    async generate(prompt) {
      return String((await runAgent(writer, prompt)).finalOutput ?? '');
    },
  };
}

/**
 * The OpenAI Agents SDK (0.14) routed through `router.fetch`: a streamed run, a tool round trip,
 * structured output (`outputType`); then, on a fleet where every endpoint fails, one agent run
 * makes exactly the router's attempts upstream — the openai client inside honours the router's
 * `x-should-retry: false`, so no setting is needed.
 */
export function run(options: ExampleOptions = {}): Promise<FrameworkDemoResult> {
  return runFrameworkDemo(
    { name: 'OpenAI Agents SDK', apis: ['chat-completions', 'responses'], driver: agentsDriver },
    options,
  );
}
