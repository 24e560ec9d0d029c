import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamInterruptedError } from '../src/index.js';
import { edgeProfile, type Lab, originProfile, servedBy, startLab } from './two-tier.js';

let lab: Lab;
afterEach(async () => {
  await lab?.close();
});

const body = {
  messages: [{ role: 'user' as const, content: 'Tell me a story.' }],
  max_tokens: 12,
  stream: true as const,
};

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const text = (chunks: ChatCompletionChunk[]) =>
  chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');

describe('streams', () => {
  it('streams chunks from the edge; the usage chunk only when the caller asked for it', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    const chunks = await collect(await lab.router.chat.completions.create(body));
    expect(text(chunks)).toMatch(/^edge-1:/);
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('length');

    const withUsage = await collect(
      await lab.router.chat.completions.create({
        ...body,
        stream_options: { include_usage: true },
      }),
    );
    expect(withUsage.at(-1)?.choices).toEqual([]);
    expect(withUsage.at(-1)?.usage?.completion_tokens).toBe(12);
    // The router asked for usage either way: cost and calibration are known.
    const end = lab.events.filter(([n]) => n === 'request:end');
    expect(
      end.map(([, p]) => (p.usage as { completion_tokens: number }).completion_tokens),
    ).toEqual([12, 12]);
  });

  for (const [name, patch] of [
    ['hangs', { faults: { hangRate: 1 } }],
    ['answers 503', { faults: { errorRate: 1, errorStatus: 503 } }],
    ['is down', { down: true }],
  ] as const) {
    it(`fails over transparently before the first token when the edge ${name}`, async () => {
      lab = await startLab([edgeProfile('edge-1'), originProfile()]);
      await lab.mock.endpoint('edge-1').control(patch);
      const stream = await lab.router.chat.completions.create(body);
      expect(stream.endpointId).toBe('origin');
      const chunks = await collect(stream);
      expect(text(chunks)).toMatch(/^origin:/);
      expect(servedBy(lab)).toEqual(['origin']);
      expect(lab.mock.endpoint('origin').stats().completed).toBe(1);
    });
  }

  it('a stream cut mid-way throws StreamInterruptedError, never ends as complete', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    await lab.mock.endpoint('edge-1').control({ faults: { disconnectRate: 1 } });
    const stream = await lab.router.chat.completions.create(body);
    const seen: ChatCompletionChunk[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk);
    })().catch((e) => e);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error.code).toBe('stream_interrupted');
    expect(error.reason).toBe('disconnect');
    expect(error.endpointId).toBe('edge-1');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.some((c) => c.choices[0]?.finish_reason)).toBe(false);
    expect(lab.events.map(([n]) => n)).toContain('request:error');
    expect(lab.events.map(([n]) => n)).not.toContain('request:end');
  });

  it('a stall inside a stream throws StreamInterruptedError with reason stall', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    await lab.mock.endpoint('edge-1').control({ faults: { stallRate: 1, stallMs: 5_000 } });
    const stream = await lab.router.chat.completions.create(body);
    const error = await collect(stream).catch((e) => e);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error.reason).toBe('stall');
    // The mock saw the router go away.
    await vi.waitFor(() => expect(lab.mock.endpoint('edge-1').stats().aborted).toBe(1));
  });

  it('a garbled chunk mid-stream throws StreamInterruptedError with reason malformed', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    await lab.mock.endpoint('edge-1').control({ faults: { malformedRate: 1 } });
    const error = await collect(await lab.router.chat.completions.create(body)).catch((e) => e);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error.reason).toBe('malformed');
  });

  it("a consumer's break aborts the upstream request and frees the slot", async () => {
    lab = await startLab(
      [edgeProfile('edge-1', { decodeTokensPerSec: 50, maxConcurrency: 1 }), originProfile()],
      {},
      () => ({
        maxConcurrency: 1,
      }),
    );
    const stream = await lab.router.chat.completions.create({ ...body, max_tokens: 200 });
    for await (const _chunk of stream) break;
    await new Promise((r) => setTimeout(r, 30));
    const stats = lab.mock.endpoint('edge-1').stats();
    expect(stats.aborted).toBe(1);
    expect(stats.completed).toBe(0);
    expect(lab.router.stats().endpoints[0]?.inFlight).toBe(0);
    // The slot is free: the next call is served by the same single-slot edge.
    const next = await lab.router.chat.completions.create({
      ...body,
      stream: false,
      max_tokens: 4,
    });
    expect(next.model).toBe('edge-model');
  });
});

describe('RouterStream.toReadableStream', () => {
  it("gives the chunks as newline-delimited JSON, like openai's Stream", async () => {
    lab = await startLab([edgeProfile('edge-1')]);
    const stream = await lab.router.chat.completions.create(body);
    const text = await new Response(stream.toReadableStream()).text();
    const chunks = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ChatCompletionChunk);
    expect(collectText(chunks)).toMatch(/^edge-1:/);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('length');
  });
});

function collectText(chunks: ChatCompletionChunk[]): string {
  return chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
}
