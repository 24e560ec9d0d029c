import { describe, expect, it } from 'vitest';
import type { RouterChatParams } from '../call-types.js';
import { InvalidRequestError } from '../errors.js';
import { bodyFor, estimateRequest } from './estimate-request.js';

const hello: RouterChatParams = { messages: [{ role: 'user', content: 'Hello' }] };

function invalid(body: unknown): InvalidRequestError {
  try {
    estimateRequest(body as RouterChatParams);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).code).toBe('invalid_request');
    return error as InvalidRequestError;
  }
  throw new Error('Expected estimateRequest to throw');
}

const tool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

function imageMessage(url: string): RouterChatParams {
  return {
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'image_url', image_url: { url } },
        ],
      },
    ],
  };
}

describe('estimateRequest: invalid bodies', () => {
  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['an array', [{ role: 'user', content: 'hi' }]],
  ])('refuses a body that is %s', (_name, body) => {
    const error = invalid(body);
    expect(error.param).toBeUndefined();
    expect(error.message).toMatch(/must be an object/);
  });

  it.each([
    ['missing', {}],
    ['empty', { messages: [] }],
    ['not an array', { messages: 'hi' }],
  ])('refuses messages that are %s', (_name, body) => {
    const error = invalid(body);
    expect(error.param).toBe('messages');
    expect(error.message).toContain('`messages`');
  });

  it.each([
    ['without a role', { content: 'hi' }],
    ['with a numeric role', { role: 1, content: 'hi' }],
    ['that is null', null],
    ['that is a string', 'hi'],
  ])('refuses a message %s, naming its index', (_name, message) => {
    const error = invalid({ messages: [{ role: 'system', content: 'Be brief' }, message] });
    expect(error.param).toBe('messages[1]');
    expect(error.message).toContain('`messages[1]`');
  });

  it.each([
    ['max_tokens', 0],
    ['max_tokens', -5],
    ['max_tokens', 1.5],
    ['max_tokens', '100'],
    ['max_completion_tokens', 0],
    ['max_completion_tokens', 2.5],
    ['max_completion_tokens', 'lots'],
  ])('refuses %s = %j', (param, value) => {
    const error = invalid({ ...hello, [param]: value });
    expect(error.param).toBe(param);
    expect(error.message).toContain(`\`${param}\``);
    expect(error.message).toContain(JSON.stringify(value));
  });

  it('refuses a model that is not a string', () => {
    expect(invalid({ ...hello, model: 4 }).param).toBe('model');
  });

  it('refuses a stream flag that is not a boolean', () => {
    expect(invalid({ ...hello, stream: 'true' }).param).toBe('stream');
  });

  it('accepts null for model, stream and the output limits', () => {
    const facts = estimateRequest({
      ...hello,
      model: null,
      stream: null,
      max_tokens: null,
      max_completion_tokens: null,
    } as unknown as RouterChatParams);
    expect(facts.model).toBeUndefined();
    expect(facts.stream).toBe(false);
    expect(facts.maxOutputTokens).toBeUndefined();
  });
});

describe('estimateRequest: routing facts', () => {
  it('reads the model as given', () => {
    expect(estimateRequest(hello).model).toBeUndefined();
    expect(estimateRequest({ ...hello, model: 'auto' }).model).toBe('auto');
    expect(estimateRequest({ ...hello, model: 'edge' }).model).toBe('edge');
  });

  it('takes max_completion_tokens over max_tokens', () => {
    expect(estimateRequest({ ...hello, max_tokens: 100 }).maxOutputTokens).toBe(100);
    expect(estimateRequest({ ...hello, max_completion_tokens: 50 }).maxOutputTokens).toBe(50);
    expect(
      estimateRequest({ ...hello, max_tokens: 100, max_completion_tokens: 50 }).maxOutputTokens,
    ).toBe(50);
  });

  it('grows promptChars with the content, about one char per char', () => {
    const short = estimateRequest(hello).promptChars;
    const long = estimateRequest({ messages: [{ role: 'user', content: 'x'.repeat(10_000) }] });
    expect(long.promptChars - short).toBeGreaterThan(9_990);
    expect(long.promptChars - short).toBeLessThan(10_010);
    const twoMessages = estimateRequest({
      messages: [
        { role: 'system', content: 'x'.repeat(5_000) },
        { role: 'user', content: 'x'.repeat(5_000) },
      ],
    });
    expect(twoMessages.promptChars).toBeGreaterThan(long.promptChars);
  });

  it('counts tools toward the prompt and notes that the call needs tool calling', () => {
    const plain = estimateRequest(hello);
    const withTools = estimateRequest({ ...hello, tools: [tool] });
    expect(withTools.promptChars - plain.promptChars).toBeGreaterThanOrEqual(
      JSON.stringify(tool).length,
    );
    expect(plain.needs.tools).toBe(false);
    expect(withTools.needs.tools).toBe(true);
    expect(estimateRequest({ ...hello, tools: [] }).needs.tools).toBe(false);
  });

  it('counts image parts and leaves their data URLs out of promptChars', () => {
    const small = estimateRequest(imageMessage(`data:image/png;base64,${'A'.repeat(100)}`));
    const big = estimateRequest(imageMessage(`data:image/png;base64,${'A'.repeat(500_000)}`));
    expect(small.imageParts).toBe(1);
    expect(big.imageParts).toBe(1);
    expect(big.promptChars).toBe(small.promptChars);
    expect(big.promptChars).toBeLessThan(1_000);
    expect(big.needs.vision).toBe(true);
    expect(estimateRequest(hello).needs.vision).toBe(false);
  });

  it('counts every image part across messages', () => {
    const url = 'https://example.com/cat.png';
    const one = imageMessage(url);
    const facts = estimateRequest({
      messages: [...one.messages, { role: 'assistant', content: 'A cat.' }, ...one.messages],
    });
    expect(facts.imageParts).toBe(2);
  });

  it('notes json_schema as a need and json output as wanted', () => {
    const schema = estimateRequest({
      ...hello,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', schema: { type: 'object' } },
      },
    });
    expect(schema.needs.jsonSchema).toBe(true);
    expect(schema.wantsJson).toBe(true);

    const object = estimateRequest({ ...hello, response_format: { type: 'json_object' } });
    expect(object.needs.jsonSchema).toBe(false);
    expect(object.wantsJson).toBe(true);

    const text = estimateRequest({ ...hello, response_format: { type: 'text' } });
    expect(text.wantsJson).toBe(false);
    expect(estimateRequest(hello).wantsJson).toBe(false);
  });
});

describe('estimateRequest: the body sent upstream', () => {
  it('asks a stream for usage, and reports streamUsage false when the caller did not', () => {
    const facts = estimateRequest({ ...hello, stream: true });
    expect(facts.stream).toBe(true);
    expect(facts.streamUsage).toBe(false);
    const sent = JSON.parse(bodyFor(facts, 'm', true));
    expect(sent.stream).toBe(true);
    expect(sent.stream_options).toEqual({ include_usage: true });
  });

  it('keeps the caller’s other stream_options when adding include_usage', () => {
    const facts = estimateRequest({
      ...hello,
      stream: true,
      stream_options: { include_usage: false, include_obfuscation: false },
    });
    expect(facts.streamUsage).toBe(false);
    expect(JSON.parse(bodyFor(facts, 'm', true)).stream_options).toEqual({
      include_usage: true,
      include_obfuscation: false,
    });
  });

  it('reports streamUsage true when the caller asked for usage', () => {
    const facts = estimateRequest({
      ...hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(facts.streamUsage).toBe(true);
  });

  it('asks plain or streamed as the attempt decides, whatever the caller wants', () => {
    const facts = estimateRequest({ ...hello, stream: false });
    expect(facts.stream).toBe(false);
    const streamed = JSON.parse(bodyFor(facts, 'm', true));
    expect(streamed.stream).toBe(true);
    expect(streamed.stream_options).toEqual({ include_usage: true });
    const plain = JSON.parse(bodyFor(facts, 'm', false));
    expect(plain.stream).toBeUndefined();
    expect(plain.stream_options).toBeUndefined();
  });

  it('leaves the caller’s body untouched', () => {
    const body: RouterChatParams = { ...hello, model: 'auto', stream: true };
    const copy = structuredClone(body);
    estimateRequest(body);
    expect(body).toEqual(copy);
  });

  it('produces, with bodyFor, valid JSON equal to the body with the endpoint’s model', () => {
    const body: RouterChatParams = {
      model: 'auto',
      messages: [
        { role: 'system', content: 'Answer "briefly" \\ politely\n' },
        { role: 'user', content: 'Qu’est-ce que c’est ? 🙂' },
      ],
      tools: [tool],
      temperature: 0.2,
      max_tokens: 64,
    };
    const facts = estimateRequest(body);
    expect(facts.bodyTail).not.toContain('"model"');
    const sent = bodyFor(facts, 'qwen2.5-7b-instruct-q4', false);
    expect(JSON.parse(sent)).toEqual({ ...body, model: 'qwen2.5-7b-instruct-q4' });
    expect(sent.startsWith('{"model":"qwen2.5-7b-instruct-q4",')).toBe(true);
  });

  it('gives each endpoint its own model from one tail', () => {
    const facts = estimateRequest({ ...hello, model: 'edge' });
    expect(JSON.parse(bodyFor(facts, 'small', false)).model).toBe('small');
    expect(JSON.parse(bodyFor(facts, 'gpt-4.1', true)).model).toBe('gpt-4.1');
    expect(JSON.parse(bodyFor(facts, 'weird "name"', false)).model).toBe('weird "name"');
  });
});

describe('estimateRequest output limits', () => {
  it('checks max_tokens even when max_completion_tokens is valid', () => {
    const error = invalid({ ...hello, max_completion_tokens: 10, max_tokens: -1 });
    expect(error.param).toBe('max_tokens');
  });
});
