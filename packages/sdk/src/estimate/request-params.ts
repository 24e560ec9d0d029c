import type { RouterChatParams } from '../call-types.js';
import type { RequestParams } from '../events.js';

/**
 * Reads a call's generation parameters for events and telemetry — a handful of property reads,
 * done only when someone listens to `request:start` or telemetry is on. Values of the wrong type
 * are left out rather than reported (the body was validated for what routing needs, not for these).
 */
export function requestParams(body: RouterChatParams): RequestParams {
  const stop = body.stop;
  return {
    maxTokens: int(body.max_completion_tokens) ?? int(body.max_tokens),
    temperature: num(body.temperature),
    topP: num(body.top_p),
    frequencyPenalty: num(body.frequency_penalty),
    presencePenalty: num(body.presence_penalty),
    stopSequences:
      typeof stop === 'string'
        ? [stop]
        : Array.isArray(stop) && stop.every((s) => typeof s === 'string')
          ? stop
          : undefined,
    seed: int(body.seed),
    choiceCount: int(body.n),
    reasoningEffort: str(body.reasoning_effort),
    responseFormat: str(body.response_format?.type),
  };
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function int(value: unknown): number | undefined {
  return Number.isInteger(value) ? (value as number) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
