import { z } from 'zod';

/** Arguments of the `getWeather` tool every framework example offers the model. */
export const weatherInput = z.object({
  city: z.string().describe('The city, e.g. Lisbon'),
});

/** What `getWeather` returns, and the structured output the examples ask for. */
export const forecastSchema = z.object({
  city: z.string(),
  tempC: z.number(),
  conditions: z.enum(['sunny', 'cloudy', 'rain']),
});

/** A forecast: the tool's result and the structured output's type. */
export type Forecast = z.infer<typeof forecastSchema>;

/** The tool itself: a fixed forecast, so a test can find it again in the conversation. */
export function getWeather({ city }: z.infer<typeof weatherInput>): Forecast {
  return { city, tempC: 21, conditions: 'sunny' };
}

/** The tool's description, the same in every framework. */
export const weatherToolDescription = 'Current weather for a city.';

/** The prompts of the three demonstrations. */
export const prompts = {
  stream: 'Write one sentence about tiered inference.',
  tool: 'What is the weather in Lisbon right now? Use the getWeather tool.',
  // ~13k tokens by the router's estimate: too long for an edge's 8k window, so the origin serves it.
  structured: `Extract the forecast for Lisbon from this report.\n${'Lisbon: sunny, 21 °C, light wind from the north. '.repeat(1_050)}`,
} as const;
