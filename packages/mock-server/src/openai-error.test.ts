import { describe, expect, it } from 'vitest';
import {
  contextLengthExceeded,
  invalidApiKey,
  invalidRequest,
  rateLimited,
  serverError,
} from './openai-error.js';

describe('OpenAI error bodies', () => {
  it('words context_length_exceeded as OpenAI does', () => {
    expect(contextLengthExceeded(8192, 9000, 100)).toEqual({
      status: 400,
      body: {
        error: {
          message:
            "This model's maximum context length is 8192 tokens. However, you requested 9100 tokens (9000 in the messages, 100 in the completion). Please reduce the length of the messages or completion.",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      },
    });
  });

  it('gives each error its status, type and code', () => {
    expect(invalidApiKey()).toMatchObject({
      status: 401,
      body: { error: { code: 'invalid_api_key', type: 'invalid_request_error' } },
    });
    expect(rateLimited('m', 2)).toMatchObject({
      status: 429,
      headers: { 'retry-after': '2', 'retry-after-ms': '2000' },
      body: { error: { code: 'rate_limit_exceeded', type: 'requests' } },
    });
    expect(serverError(503)).toMatchObject({
      status: 503,
      body: { error: { type: 'server_error' } },
    });
    expect(invalidRequest('bad', 'messages').body.error).toEqual({
      message: 'bad',
      type: 'invalid_request_error',
      param: 'messages',
      code: null,
    });
  });
});
