import type { EndpointProfile, Topology } from './topology.js';

const edge = (id: string): EndpointProfile => ({
  id,
  model: 'qwen2.5-7b-instruct-q4',
  contextWindow: 8192,
  rttMs: 5,
  ttftMs: 30,
  prefillTokensPerSec: 4000,
  decodeTokensPerSec: 80,
  maxConcurrency: 4,
  prefixCache: true,
});

const origin: EndpointProfile = {
  id: 'origin',
  model: 'gpt-4.1',
  contextWindow: 128_000,
  rttMs: 60,
  ttftMs: 300,
  prefillTokensPerSec: 20_000,
  decodeTokensPerSec: 40,
  maxConcurrency: 64,
  prefixCache: true,
};

/** Names of the built-in topologies. */
export type PresetName = 'two-tier' | 'single';

/**
 * Built-in topologies.
 *
 * - `two-tier`: `edge-1` and `edge-2` (8192-token window, 5 ms RTT, 30 ms ttft, 4000 tok/s prefill,
 *   80 tok/s decode, 4 slots) and `origin` (128000-token window, 60 ms RTT, 300 ms ttft, 20000 tok/s
 *   prefill, 40 tok/s decode, 64 slots); prefix caches on.
 * - `single`: one fast endpoint `mock` with no latency and no limits, for plain client tests.
 *
 * Every preset endpoint keeps the default `toolCallRate` of 1: offered tools under `tool_choice`
 * `'auto'`, it calls them, then answers the tool results in text. Lower it with `control()`.
 */
export const presets: Readonly<Record<PresetName, Topology>> = Object.freeze({
  'two-tier': { seed: 1, timeScale: 1, endpoints: [edge('edge-1'), edge('edge-2'), origin] },
  single: {
    seed: 1,
    timeScale: 1,
    endpoints: [{ id: 'mock', model: 'mock-model', contextWindow: 32_768 }],
  },
});
