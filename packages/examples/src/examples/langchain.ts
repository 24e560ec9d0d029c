import { AIMessage, type BaseMessage, HumanMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
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
 * LangChain's `ChatOpenAI` for a router: the openai client inside it gets `router.fetch`, a
 * placeholder base URL and key (each endpoint gets its own key from the router).
 */
export function langchainModel(
  router: RoutedFetch,
  api: FrameworkApi = 'chat-completions',
): ChatOpenAI {
  return new ChatOpenAI({
    model: 'auto', // routes among all endpoints; a tier or endpoint id pins
    apiKey: 'unused',
    useResponsesApi: api === 'responses',
    // The router has already retried and failed over when it answers an error. LangChain's
    // AsyncCaller retries every 5xx (it ignores `x-should-retry: false`), 6 times by default with
    // exponential backoff: each retry would be a whole new routed call.
    maxRetries: 0,
    configuration: { baseURL: 'http://tiered.local/v1', fetch: router.fetch },
  });
}

/** LangChain through `router.fetch`: `.stream()`, `bindTools` with a tool loop, `withStructuredOutput`. */
export function langchainDriver(router: RoutedFetch, api: FrameworkApi): FrameworkDriver {
  const model = langchainModel(router, api);
  const getWeatherTool = tool(async (input) => getWeather(input), {
    name: 'getWeather',
    description: weatherToolDescription,
    schema: weatherInput,
  });
  return {
    async stream(prompt) {
      const pieces: string[] = [];
      for await (const chunk of await model.stream(prompt)) {
        if (chunk.text) pieces.push(chunk.text);
      }
      return { pieces };
    },
    async toolRoundTrip(prompt) {
      const withTools = model.bindTools([getWeatherTool]);
      const messages: BaseMessage[] = [new HumanMessage(prompt)];
      const toolCalls: { name: string; args: unknown }[] = [];
      const toolResults: unknown[] = [];
      // The tool loop: call the model; run the tools it asks for; send their results back.
      for (let step = 0; step < 3; step++) {
        const reply = await withTools.invoke(messages);
        messages.push(reply);
        if (!reply.tool_calls?.length) return { toolCalls, toolResults, answer: reply.text };
        for (const call of reply.tool_calls) {
          toolCalls.push({ name: call.name, args: call.args });
          const result = await getWeatherTool.invoke(call); // a ToolMessage with call.id
          toolResults.push(JSON.parse(String(result.content)));
          messages.push(result);
        }
      }
      const last = messages.at(-1);
      return { toolCalls, toolResults, answer: last instanceof AIMessage ? last.text : '' };
    },
    async structured(prompt) {
      return model.withStructuredOutput(forecastSchema, { name: 'forecast' }).invoke(prompt);
    },
    async generate(prompt) {
      return (await model.invoke(prompt)).text;
    },
  };
}

/**
 * LangChain.js (`@langchain/openai` 1.5) routed through `router.fetch`: streaming, a tool round
 * trip, structured output; then, on a fleet where every endpoint fails, one LangChain call makes
 * exactly the router's attempts upstream — because `maxRetries: 0` stops its AsyncCaller.
 */
export function run(options: ExampleOptions = {}): Promise<FrameworkDemoResult> {
  return runFrameworkDemo(
    { name: 'LangChain.js', apis: ['chat-completions', 'responses'], driver: langchainDriver },
    options,
  );
}
