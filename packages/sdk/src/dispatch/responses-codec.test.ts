import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { estimateRequest, withFacts } from '../estimate/estimate-request.js';
import { AttemptFailure } from './attempt-failure.js';
import { nativeAnswerOf } from './native-answer.js';
import type { StreamItem } from './parse-chunk.js';
import { responsesCodec } from './responses-codec.js';

const decode = (event: Record<string, unknown>) =>
  responsesCodec.decode(JSON.stringify(event), 'origin') as StreamItem;

const response = (fields: Record<string, unknown> = {}) => ({
  id: 'resp_1',
  object: 'response',
  created_at: 1700000000,
  model: 'gpt',
  status: 'completed',
  error: null,
  output: [
    {
      type: 'message',
      id: 'msg_1',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: 'Hi there', annotations: [] }],
    },
  ],
  usage: {
    input_tokens: 11,
    input_tokens_details: { cached_tokens: 4 },
    output_tokens: 2,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 13,
  },
  ...fields,
});

function failure(run: () => unknown): AttemptFailure {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AttemptFailure);
    return error as AttemptFailure;
  }
  throw new Error('Expected an AttemptFailure');
}

describe('responsesCodec.decode', () => {
  it('passes events before the first output on, as chunks without choices', () => {
    const created = decode({
      type: 'response.created',
      sequence_number: 0,
      response: response({ status: 'in_progress', output: [] }),
    });
    expect(created.event).toBe('response.created');
    expect(created.chunk.choices).toEqual([]);
    expect(created.chunk).toMatchObject({ id: 'resp_1', model: 'gpt', created: 1700000000 });
    expect(responsesCodec.firstToken(created)).toBe(false);
    expect(created.data).toContain('"sequence_number":0');
  });

  it('reads text and refusal deltas as content: the first output', () => {
    const text = decode({ type: 'response.output_text.delta', delta: 'Hi', output_index: 0 });
    expect(text.chunk.choices[0]?.delta).toEqual({ content: 'Hi' });
    expect(responsesCodec.firstToken(text)).toBe(true);
    const refusal = decode({ type: 'response.refusal.delta', delta: 'No' });
    expect(refusal.chunk.choices[0]?.delta).toEqual({ refusal: 'No' });
  });

  it('reads a function call as a tool call, and its arguments as deltas', () => {
    const added = decode({
      type: 'response.output_item.added',
      output_index: 1,
      item: { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '' },
    });
    expect(added.chunk.choices[0]?.delta.tool_calls).toEqual([
      { index: 1, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } },
    ]);
    expect(responsesCodec.firstToken(added)).toBe(true);
    const args = decode({
      type: 'response.function_call_arguments.delta',
      output_index: 1,
      delta: '{}',
    });
    expect(args.chunk.choices[0]?.delta.tool_calls).toEqual([
      { index: 1, function: { arguments: '{}' } },
    ]);
  });

  it('counts any output item as the first output (a reasoning item too)', () => {
    const item = decode({
      type: 'response.output_item.added',
      output_index: 0,
      item: { type: 'reasoning', id: 'rs_1' },
    });
    expect(item.chunk.choices).toEqual([]);
    expect(responsesCodec.firstToken(item)).toBe(true);
  });

  it('reads response.completed as the end, with usage and the native response', () => {
    const done = decode({ type: 'response.completed', sequence_number: 9, response: response() });
    expect(done.final).toBe(true);
    expect(done.chunk.choices[0]?.finish_reason).toBe('stop');
    expect(done.chunk.usage).toMatchObject({
      prompt_tokens: 11,
      completion_tokens: 2,
      total_tokens: 13,
      prompt_tokens_details: { cached_tokens: 4 },
    });
    expect(nativeAnswerOf(done.chunk)).toMatchObject({ id: 'resp_1' });
    const cut = decode({
      type: 'response.incomplete',
      response: response({
        status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
      }),
    });
    expect(cut.final).toBe(true);
    expect(cut.chunk.choices[0]?.finish_reason).toBe('length');
  });

  it('fails the attempt on an error event, response.failed and garbage', () => {
    expect(
      failure(() => decode({ type: 'error', code: 'server_error', message: 'boom' })),
    ).toMatchObject({
      failure: 'server',
      message: expect.stringContaining('boom'),
    });
    expect(
      failure(() =>
        decode({
          type: 'response.failed',
          response: response({
            status: 'failed',
            error: { code: 'server_error', message: 'oops' },
          }),
        }),
      ),
    ).toMatchObject({ failure: 'server', message: expect.stringContaining('oops') });
    expect(failure(() => responsesCodec.decode('{"type": tru', 'origin')).failure).toBe(
      'bad_response',
    );
    expect(failure(() => decode({ delta: 'x' })).failure).toBe('bad_response');
  });
});

describe('responsesCodec.completion', () => {
  it('reads a plain response as a chat completion, keeping the raw answer for the caller', () => {
    const text = JSON.stringify(
      response({
        output: [
          ...response().output,
          { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
        ],
      }),
    );
    const completion = responsesCodec.completion(text, 'application/json', 'origin');
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: 'Hi there',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
        ],
      },
    });
    expect(completion.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 2 });
    expect(nativeAnswerOf(completion)).toBe(text);
  });

  it('fails on a failed response, an error body or no output', () => {
    expect(
      failure(() =>
        responsesCodec.completion(
          JSON.stringify(response({ status: 'failed' })),
          'application/json',
          'origin',
        ),
      ).failure,
    ).toBe('server');
    expect(
      failure(() =>
        responsesCodec.completion('{"error":{"message":"x"}}', 'application/json', 'origin'),
      ).failure,
    ).toBe('server');
    expect(
      failure(() => responsesCodec.completion('{"id":"r"}', 'application/json', 'origin')).failure,
    ).toBe('bad_response');
    expect(failure(() => responsesCodec.completion('<html>', 'text/html', 'origin')).failure).toBe(
      'bad_response',
    );
  });
});

describe('responsesCodec.body and url', () => {
  it('posts the Responses body to {baseURL}/responses with the endpoint model', () => {
    const config = resolveConfig({
      endpoints: [
        {
          id: 'o',
          tier: 'origin',
          baseURL: 'https://api.example.com/v1/',
          model: 'gpt',
          contextWindow: 1000,
          responsesApi: 'native',
        },
      ],
    });
    const endpoint = config.endpoints[0];
    if (!endpoint) throw new Error('no endpoint');
    expect(responsesCodec.url(endpoint)).toBe('https://api.example.com/v1/responses');
    const chat = { messages: [{ role: 'user' as const, content: 'hi' }] };
    const facts = estimateRequest(
      withFacts(chat, {
        ...estimateRequest(chat),
        responses: { nativeTail: () => '{"input":"hi","store":false}' },
      }),
    );
    expect(JSON.parse(responsesCodec.body(facts, 'gpt', true))).toEqual({
      model: 'gpt',
      stream: true,
      input: 'hi',
      store: false,
    });
    expect(JSON.parse(responsesCodec.body(facts, 'gpt', false))).toEqual({
      model: 'gpt',
      input: 'hi',
      store: false,
    });
  });
});
