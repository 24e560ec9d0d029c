import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../errors.js';
import { translateResponsesRequest } from './translate-request.js';

const weather = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: true,
};

function invalid(body: Record<string, unknown>): InvalidRequestError {
  try {
    translateResponsesRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('Expected translateResponsesRequest to throw');
}

describe('translateResponsesRequest', () => {
  it('turns input, instructions and the simple fields into their chat twins', () => {
    const { chat, nativeOnly } = translateResponsesRequest({
      model: 'edge',
      instructions: 'Be brief.',
      input: 'Hi!',
      max_output_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u-1',
      prompt_cache_key: 'k',
      reasoning: { effort: 'low', summary: 'auto' },
      stream: true,
      store: true,
      metadata: { a: 'b' },
    });
    expect(nativeOnly).toBeUndefined();
    expect(chat).toEqual({
      model: 'edge',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi!' },
      ],
      max_completion_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u-1',
      prompt_cache_key: 'k',
      reasoning_effort: 'low',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('turns items into messages: parts, earlier output, tool calls and their outputs', () => {
    const { chat } = translateResponsesRequest({
      input: [
        { role: 'developer', content: [{ type: 'input_text', text: 'Rules.' }] },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is this?' },
            { type: 'input_image', image_url: 'https://x/cat.png', detail: 'low' },
          ],
        },
        {
          type: 'message',
          role: 'assistant',
          id: 'msg_1',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Let me check.', annotations: [] }],
        },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        {
          type: 'function_call',
          call_id: 'call_1',
          name: 'get_weather',
          arguments: '{"city":"Paris"}',
        },
        {
          type: 'function_call',
          call_id: 'call_2',
          name: 'get_weather',
          arguments: '{"city":"Rome"}',
        },
        { type: 'function_call_output', call_id: 'call_1', output: '21C' },
        {
          type: 'function_call_output',
          call_id: 'call_2',
          output: [{ type: 'input_text', text: '25C' }],
        },
      ],
    });
    expect(chat?.messages).toEqual([
      { role: 'system', content: 'Rules.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'https://x/cat.png', detail: 'low' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          {
            id: 'call_2',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '21C' },
      { role: 'tool', tool_call_id: 'call_2', content: '25C' },
    ]);
  });

  it('maps function tools, tool_choice and text.format', () => {
    const { chat } = translateResponsesRequest({
      input: 'x',
      tools: [weather],
      tool_choice: { type: 'function', name: 'get_weather' },
      parallel_tool_calls: false,
      text: {
        format: { type: 'json_schema', name: 'city', schema: { type: 'object' }, strict: true },
        verbosity: 'low',
      },
    });
    expect(chat).toMatchObject({
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather in a city',
            parameters: weather.parameters,
            strict: true,
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'city', schema: { type: 'object' }, strict: true },
      },
      verbosity: 'low',
    });
    expect(
      translateResponsesRequest({ input: 'x', text: { format: { type: 'json_object' } } }).chat,
    ).toMatchObject({ response_format: { type: 'json_object' } });
    expect(
      translateResponsesRequest({ input: 'x', text: { format: { type: 'text' } } }).chat,
    ).not.toHaveProperty('response_format');
    expect(
      translateResponsesRequest({
        input: 'x',
        tool_choice: {
          type: 'allowed_tools',
          mode: 'auto',
          tools: [{ type: 'function', name: 'f' }],
        },
      }).chat?.tool_choice,
    ).toEqual({
      type: 'allowed_tools',
      allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'f' } }] },
    });
  });

  it('asks for logprobs when the caller includes them', () => {
    const { chat } = translateResponsesRequest({
      input: 'x',
      top_logprobs: 3,
      include: ['message.output_text.logprobs'],
    });
    expect(chat).toMatchObject({ logprobs: true, top_logprobs: 3 });
  });

  it.each([
    [{ previous_response_id: 'resp_1', input: 'more' }, 'previous_response_id'],
    [{ previous_response_id: 'resp_1' }, 'previous_response_id'],
    [{ input: 'x', conversation: 'conv_1' }, 'conversation'],
    [{ input: 'x', background: true }, 'background'],
    [{ input: 'x', truncation: 'auto' }, 'truncation'],
    [{ input: 'x', tools: [weather, { type: 'web_search' }] }, 'tools[1].type'],
    [{ input: 'x', tool_choice: { type: 'web_search_preview' } }, 'tool_choice.type'],
    [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0].type'],
    [
      { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }] },
      'input[0].content[0].file_id',
    ],
    [{ input: 'x', some_new_field: 1 }, 'some_new_field'],
    [{ input: 'x', toString: 1 }, 'toString'],
  ])('leaves %j to native endpoints, naming %s', (body, field) => {
    const { chat, nativeOnly } = translateResponsesRequest(body);
    expect(chat).toBeUndefined();
    expect(nativeOnly?.field).toBe(field);
    expect(nativeOnly?.why.length).toBeGreaterThan(0);
  });

  it('translates what is only set to its default or null', () => {
    const { chat, nativeOnly } = translateResponsesRequest({
      input: 'x',
      background: false,
      truncation: 'disabled',
      previous_response_id: null,
      stream: false,
    });
    expect(nativeOnly).toBeUndefined();
    expect(chat).toEqual({ messages: [{ role: 'user', content: 'x' }] });
  });

  it.each([
    [{}, 'input'],
    [{ input: [] }, 'input'],
    [{ input: 42 }, 'input'],
    [{ input: ['hi'] }, 'input[0]'],
    [{ input: [{ role: 'robot', content: 'x' }] }, 'input[0].role'],
    [{ input: [{ type: 'function_call', name: 'f' }] }, 'input[0].call_id'],
    [{ input: 'x', max_output_tokens: 0 }, 'max_output_tokens'],
    [{ input: 'x', stream: 'yes' }, 'stream'],
    [{ input: 'x', model: 7 }, 'model'],
    [{ input: 'x', instructions: 7 }, 'instructions'],
    [{ input: 'x', tools: {} }, 'tools'],
    [{ input: 'x', text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name'],
  ])('refuses %j naming %s', (body, param) => {
    const error = invalid(body as Record<string, unknown>);
    expect(error.param).toBe(param);
    expect(error.message).toContain(`\`${param}\``);
  });
});
