import { describe, expect, it } from 'vitest';
import { requestParams } from './request-params.js';

const messages = [{ role: 'user' as const, content: 'hi' }];

describe('requestParams', () => {
  it('reads the generation parameters, max_completion_tokens before max_tokens', () => {
    expect(
      requestParams({
        messages,
        max_tokens: 10,
        max_completion_tokens: 20,
        temperature: 0,
        top_p: 1,
        frequency_penalty: 0.5,
        presence_penalty: -0.5,
        stop: ['a', 'b'],
        seed: 42,
        n: 2,
        reasoning_effort: 'low',
        response_format: { type: 'json_object' },
      }),
    ).toEqual({
      maxTokens: 20,
      temperature: 0,
      topP: 1,
      frequencyPenalty: 0.5,
      presencePenalty: -0.5,
      stopSequences: ['a', 'b'],
      seed: 42,
      choiceCount: 2,
      reasoningEffort: 'low',
      responseFormat: 'json_object',
    });
  });

  it('leaves out what is unset or of the wrong type, and never reads the messages', () => {
    const params = requestParams({
      messages,
      temperature: 'hot' as never,
      top_p: Number.NaN,
      stop: [1, 2] as never,
      seed: 1.5,
      max_tokens: null,
    });
    expect(Object.values(params).every((v) => v === undefined)).toBe(true);
    expect(JSON.stringify(params)).not.toContain('hi');
  });
});
