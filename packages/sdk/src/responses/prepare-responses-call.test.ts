import { describe, expect, it } from 'vitest';
import { type EndpointOptions, resolveConfig } from '../config.js';
import { InvalidRequestError } from '../errors.js';
import { estimateRequest } from '../estimate/estimate-request.js';
import { prepareResponsesCall } from './prepare-responses-call.js';

const endpoint = (id: string, extra: Partial<EndpointOptions> = {}): EndpointOptions => ({
  id,
  tier: id,
  baseURL: `http://${id}.test/v1`,
  model: `${id}-model`,
  contextWindow: 8192,
  ...extra,
});
const translateOnly = resolveConfig({ endpoints: [endpoint('edge'), endpoint('origin')] });
const withNative = resolveConfig({
  endpoints: [endpoint('edge'), endpoint('origin', { responsesApi: 'native' })],
});

describe('prepareResponsesCall', () => {
  it('hands the engine the translated chat body with its facts, and keeps the Responses body', () => {
    const body = {
      model: 'edge',
      input: 'Hello',
      stream: true,
      max_output_tokens: 20,
      store: false,
    };
    const call = prepareResponsesCall(body, translateOnly);
    expect(call.messages).toEqual([{ role: 'user', content: 'Hello' }]);
    const facts = estimateRequest(call);
    expect(estimateRequest(call)).toBe(facts); // read once
    expect(facts).toMatchObject({
      model: 'edge',
      stream: true,
      streamUsage: true,
      maxOutputTokens: 20,
    });
    expect(facts.needs.nativeResponses).toBeFalsy();
    expect(JSON.parse(facts.responses?.nativeTail() ?? '')).toEqual({
      input: 'Hello',
      max_output_tokens: 20,
      store: false,
    });
  });

  it('refuses a call that needs a native endpoint when none is configured, naming the field', () => {
    const error = (() => {
      try {
        prepareResponsesCall({ input: 'x', tools: [{ type: 'web_search' }] }, translateOnly);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ code: 'invalid_request', param: 'tools[0].type' });
    expect((error as Error).message).toMatch(/responsesApi: 'native'/);
  });

  it('routes a call that needs a native endpoint to native endpoints only', () => {
    const call = prepareResponsesCall(
      { model: 'auto', previous_response_id: 'resp_1', input: 'and then?', max_output_tokens: 9 },
      withNative,
    );
    const facts = estimateRequest(call);
    expect(facts.needs.nativeResponses).toBe(true);
    expect(facts).toMatchObject({ model: 'auto', maxOutputTokens: 9, stream: false });
    expect(facts.promptChars).toBeGreaterThan(0);
  });
});
