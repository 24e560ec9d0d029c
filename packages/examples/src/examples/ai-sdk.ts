import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, type LanguageModel, Output, stepCountIs, streamText, tool } from 'ai';
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
 * The AI SDK's model for a router, on either API: the OpenAI provider (`@ai-sdk/openai`, whose
 * default is the Responses API) or the OpenAI-compatible one (chat completions), each with
 * `router.fetch` as its `fetch`. The base URL is a placeholder (nothing listens there) and the key
 * is never forwarded: each endpoint gets its own from the router.
 */
export function aiSdkModel(
  router: RoutedFetch,
  api: FrameworkApi = 'chat-completions',
): LanguageModel {
  if (api === 'responses') {
    const openai = createOpenAI({
      baseURL: 'http://tiered.local/v1',
      apiKey: 'unused',
      fetch: router.fetch,
    });
    return openai('auto'); // 'auto' routes among all endpoints; a tier or endpoint id pins
  }
  const tiered = createOpenAICompatible({
    name: 'tiered',
    baseURL: 'http://tiered.local/v1',
    fetch: router.fetch,
    includeUsage: true, // token usage on streams too
    supportsStructuredOutputs: true, // send response_format json_schema, not just json_object
  });
  return tiered('auto');
}

/**
 * Settings for every AI SDK call through the router. The router has already retried and failed
 * over when it answers an error; the AI SDK decides retries by status alone (408, 409, 429, 5xx
 * — it ignores `x-should-retry: false`) and by default would repeat the whole routed call twice.
 */
export const aiSdkCallSettings = { maxRetries: 0 } as const;

/** The AI SDK through `router.fetch`: `streamText`, `generateText` with tools and with `Output.object`. */
export function aiSdkDriver(router: RoutedFetch, api: FrameworkApi): FrameworkDriver {
  const model = aiSdkModel(router, api);
  return {
    async stream(prompt) {
      const result = streamText({
        model,
        prompt,
        ...aiSdkCallSettings,
        onError: () => {}, // the error part below rethrows it; the default handler would log it too
      });
      const pieces: string[] = [];
      // fullStream, not textStream: an error arrives as a part, and must not pass as an end.
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') pieces.push(part.text);
        if (part.type === 'error') throw part.error;
      }
      const { headers } = await result.response;
      return { pieces, endpointHeader: headers?.['x-tiered-endpoint'] };
    },
    async toolRoundTrip(prompt) {
      const result = await generateText({
        model,
        prompt,
        tools: {
          getWeather: tool({
            description: weatherToolDescription,
            inputSchema: weatherInput,
            execute: async (input) => getWeather(input),
          }),
        },
        stopWhen: stepCountIs(3), // call the tool, send its result, get the answer
        ...aiSdkCallSettings,
      });
      return {
        toolCalls: result.steps.flatMap((s) =>
          s.toolCalls.map((c) => ({ name: c.toolName, args: c.input })),
        ),
        toolResults: result.steps.flatMap((s) => s.toolResults.map((r) => r.output)),
        answer: result.text,
      };
    },
    async structured(prompt) {
      const { output } = await generateText({
        model,
        prompt,
        output: Output.object({ schema: forecastSchema }),
        ...aiSdkCallSettings,
      });
      return output;
    },
    async generate(prompt) {
      return (await generateText({ model, prompt, ...aiSdkCallSettings })).text;
    },
  };
}

/**
 * The Vercel AI SDK (ai 6) routed through `router.fetch`: streaming, a tool round trip, structured
 * output; then, on a fleet where every endpoint fails, one AI SDK call makes exactly the router's
 * attempts upstream — because `maxRetries: 0` stops the AI SDK from repeating the routed call.
 */
export function run(options: ExampleOptions = {}): Promise<FrameworkDemoResult> {
  return runFrameworkDemo(
    { name: 'Vercel AI SDK', apis: ['chat-completions', 'responses'], driver: aiSdkDriver },
    options,
  );
}
