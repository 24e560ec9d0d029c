import type { Router } from '@tiered/sdk';

/** The OpenAI API a framework speaks to `router.fetch`. */
export type FrameworkApi = 'chat-completions' | 'responses';

/** A streamed answer, as the framework delivered it. */
export interface StreamedText {
  /** The text deltas, in order. */
  readonly pieces: readonly string[];
  /** `x-tiered-endpoint` of the response, where the framework exposes response headers. */
  readonly endpointHeader?: string | undefined;
}

/** One tool round trip: the model called tools, their results went back, the model answered. */
export interface ToolRoundTrip {
  readonly toolCalls: readonly { readonly name: string; readonly args: unknown }[];
  /** What the tools returned, in call order. */
  readonly toolResults: readonly unknown[];
  /** The model's final text answer. */
  readonly answer: string;
}

/**
 * One framework, wired to a router the way the SDK README says (through `router.fetch`, with its
 * own retries off where it ignores `x-should-retry`). Each method is one framework-level call.
 */
export interface FrameworkDriver {
  /** Streams a text answer. Rejects with the framework's error if the call fails. */
  stream(prompt: string): Promise<StreamedText>;
  /** Offers the `getWeather` tool and runs the framework's own tool loop to a text answer. */
  toolRoundTrip(prompt: string): Promise<ToolRoundTrip>;
  /** Asks for structured output matching `forecastSchema`; resolves with the parsed object. */
  structured(prompt: string): Promise<unknown>;
  /** A plain (non-streamed) text answer. */
  generate(prompt: string): Promise<string>;
}

/**
 * What a framework needs of the router: its `fetch`, nothing else. (The demo hands over a
 * `router.fetch` wrapped to record which API paths the framework called.)
 */
export type RoutedFetch = Pick<Router, 'fetch'>;

/** Builds a framework's driver for a router, on one of the APIs it speaks. */
export type DriverFactory = (router: RoutedFetch, api: FrameworkApi) => FrameworkDriver;
