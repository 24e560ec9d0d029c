import type { ChatCompletion } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { responseFromCompletion } from './response-from-completion.js';

const completion = (message: Record<string, unknown>, finish = 'stop'): ChatCompletion =>
  ({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1700000000,
    model: 'edge-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', refusal: null, ...message },
        finish_reason: finish,
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: 30,
      completion_tokens: 5,
      total_tokens: 35,
      prompt_tokens_details: { cached_tokens: 10 },
    },
  }) as ChatCompletion;

describe('responseFromCompletion', () => {
  it('answers with a message item, usage and the request echoed', () => {
    const request = {
      instructions: 'Be brief.',
      input: 'hi',
      max_output_tokens: 50,
      temperature: 0.3,
      metadata: { run: '7' },
      text: { format: { type: 'json_object' } },
    };
    const response = responseFromCompletion(completion({ content: '{"a":1}' }), request, 'req-1');
    expect(response).toMatchObject({
      id: 'resp_chatcmpl-1',
      object: 'response',
      created_at: 1700000000,
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: 'edge-model',
      instructions: 'Be brief.',
      max_output_tokens: 50,
      temperature: 0.3,
      metadata: { run: '7' },
      text: { format: { type: 'json_object' } },
      tool_choice: 'auto',
      tools: [],
      output: [
        {
          type: 'message',
          id: 'msg_chatcmpl-1',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: '{"a":1}', annotations: [], logprobs: [] }],
        },
      ],
      usage: {
        input_tokens: 30,
        input_tokens_details: { cached_tokens: 10 },
        output_tokens: 5,
        total_tokens: 35,
      },
    });
    expect(response).not.toHaveProperty('output_text');
  });

  it('answers tool calls with function_call items, and no empty message', () => {
    const response = responseFromCompletion(
      completion(
        {
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
            { id: 'call_2', type: 'function', function: { name: 'g', arguments: '{}' } },
          ],
        },
        'tool_calls',
      ),
      {},
      'req-1',
    );
    expect(response.output).toEqual([
      {
        id: 'fc_call_1',
        type: 'function_call',
        status: 'completed',
        call_id: 'call_1',
        name: 'f',
        arguments: '{"x":1}',
      },
      {
        id: 'fc_call_2',
        type: 'function_call',
        status: 'completed',
        call_id: 'call_2',
        name: 'g',
        arguments: '{}',
      },
    ]);
  });

  it('answers a cut answer as incomplete, and a refusal as a refusal part', () => {
    const cut = responseFromCompletion(completion({ content: 'Hel' }, 'length'), {}, 'req-1');
    expect(cut).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [{ status: 'incomplete' }],
    });
    const refused = responseFromCompletion(
      completion({ content: null, refusal: 'No.' }),
      {},
      'req-1',
    );
    expect(refused.output[0]).toMatchObject({ content: [{ type: 'refusal', refusal: 'No.' }] });
  });
});
