import { ResponseStream } from 'openai/lib/responses/ResponseStream';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { ResponsesEventWriter } from './responses-event-writer.js';

const base = { id: 'chatcmpl-7', object: 'chat.completion.chunk', created: 1700000000, model: 'm' };
type Delta = ChatCompletionChunk.Choice['delta'];

const chunk = (delta: Delta, finish: ChatCompletionChunk.Choice['finish_reason'] = null) =>
  ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  }) as ChatCompletionChunk;
const usage = (prompt: number, completion: number) =>
  ({
    ...base,
    choices: [],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
    },
  }) as ChatCompletionChunk;

function run(chunks: ChatCompletionChunk[], request: Record<string, unknown> = {}): string {
  const writer = new ResponsesEventWriter(request, 'req-1');
  return chunks.map((c) => writer.chunk(c)).join('') + writer.end();
}

function parse(sse: string): ResponseStreamEvent[] {
  return sse
    .split('\n\n')
    .filter(Boolean)
    .map((event) => {
      const [name, data] = event.split('\n');
      const parsed = JSON.parse((data ?? '').slice('data: '.length)) as ResponseStreamEvent;
      expect(name).toBe(`event: ${parsed.type}`);
      return parsed;
    });
}

// openai's own accumulator (behind `client.responses.stream()`), fed the events as NDJSON.
async function accumulate(events: ResponseStreamEvent[]) {
  const body = new Blob(events.map((e) => `${JSON.stringify(e)}\n`)).stream();
  return ResponseStream.fromReadableStream(body).finalResponse();
}

describe('ResponsesEventWriter', () => {
  it('writes text as the event sequence OpenAI sends, numbered, ending with usage', async () => {
    const events = parse(
      run(
        [
          chunk({ role: 'assistant', content: '' }),
          chunk({ content: 'Hello' }),
          chunk({ content: ' world' }),
          chunk({}, 'stop'),
          usage(12, 2),
        ],
        { instructions: 'Be brief.', max_output_tokens: 40 },
      ),
    );
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const created = events[0] as Extract<ResponseStreamEvent, { type: 'response.created' }>;
    expect(created.response).toMatchObject({
      id: 'resp_chatcmpl-7',
      status: 'in_progress',
      output: [],
      model: 'm',
      instructions: 'Be brief.',
      max_output_tokens: 40,
    });
    const completed = events.at(-1) as Extract<ResponseStreamEvent, { type: 'response.completed' }>;
    expect(completed.response).toMatchObject({
      id: 'resp_chatcmpl-7',
      status: 'completed',
      output: [
        {
          id: 'msg_chatcmpl-7',
          type: 'message',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Hello world' }],
        },
      ],
      usage: { input_tokens: 12, output_tokens: 2, total_tokens: 14 },
    });
    const final = await accumulate(events);
    expect(final.output_text).toBe('Hello world');
  });

  it('writes text, then each tool call as its own item with argument deltas', async () => {
    const events = parse(
      run([
        chunk({ role: 'assistant', content: 'Checking.' }),
        chunk({
          tool_calls: [
            {
              index: 0,
              id: 'call_a',
              type: 'function',
              function: { name: 'get_weather', arguments: '' },
            },
          ],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        chunk({
          tool_calls: [
            {
              index: 1,
              id: 'call_b',
              type: 'function',
              function: { name: 'get_time', arguments: '{}' },
            },
          ],
        }),
        chunk({}, 'tool_calls'),
        usage(20, 9),
      ]),
    );
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[11]).toMatchObject({
      item_id: 'fc_call_a',
      output_index: 1,
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    });
    const final = await accumulate(events);
    expect(final.output.map((o) => o.type)).toEqual(['message', 'function_call', 'function_call']);
    expect(final.output[1]).toMatchObject({
      type: 'function_call',
      call_id: 'call_a',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
      status: 'completed',
    });
    expect(final.output[2]).toMatchObject({ call_id: 'call_b', name: 'get_time', arguments: '{}' });
  });

  it('ends an answer cut at the token limit as response.incomplete', () => {
    const events = parse(run([chunk({ content: 'Hel' }, null), chunk({}, 'length'), usage(3, 1)]));
    const last = events.at(-1) as Extract<ResponseStreamEvent, { type: 'response.incomplete' }>;
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [{ status: 'incomplete' }],
    });
  });

  it('writes a refusal as its own content part', () => {
    const events = parse(
      run([chunk({ refusal: "I can't" }), chunk({ refusal: ' help.' }, 'stop')]),
    );
    expect(events.map((e) => e.type)).toContain('response.refusal.delta');
    expect(events.find((e) => e.type === 'response.refusal.done')).toMatchObject({
      refusal: "I can't help.",
    });
  });

  it('numbers an error event after what was sent, and never completes', () => {
    const writer = new ResponsesEventWriter({}, 'req-1');
    const sent = parse(writer.chunk(chunk({ content: 'Hel' })));
    const error = parse(writer.error('stream_interrupted', 'cut'));
    expect(error).toEqual([
      {
        type: 'error',
        sequence_number: sent.length,
        code: 'stream_interrupted',
        message: 'cut',
        param: null,
      },
    ]);
  });
});
