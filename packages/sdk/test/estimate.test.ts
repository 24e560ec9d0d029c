import type { MockStats } from '@tiered/mock-server';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EDGE_WINDOW,
  edgeProfile,
  type Lab,
  originProfile,
  prompt,
  servedBy,
  startLab,
} from './two-tier.js';

let lab: Lab;
afterEach(async () => {
  await lab?.close();
});

/** The endpoint's counters, read over HTTP from its `GET /__stats`. */
async function httpStats(id: string): Promise<MockStats> {
  const res = await fetch(new URL('/__stats', lab.mock.endpoint(id).baseURL));
  return (await res.json()) as MockStats;
}

/**
 * A structured-output call: a few words of prompt and a ~700-char JSON schema. Servers that
 * constrain decoding with the schema (vLLM, llama.cpp; the mock too) do not count it as prompt:
 * the JSON is 800 chars, the count 9 tokens. A chars/token ratio learned from such calls drifted
 * to ~64 and sized a 4,096-token prompt at ~260 tokens.
 */
const schemaCall = {
  messages: [{ role: 'user' as const, content: 'Hi' }],
  max_tokens: 8,
  response_format: {
    type: 'json_schema' as const,
    json_schema: {
      name: 'triage',
      schema: {
        type: 'object',
        properties: Object.fromEntries(
          ['severity', 'component', 'owner', 'summary', 'next_step', 'confidence'].map((k) => [
            k,
            { type: 'string', description: `The ${k} of the ticket, in a few words at most.` },
          ]),
        ),
        required: ['severity', 'component', 'owner', 'summary', 'next_step', 'confidence'],
      },
    },
  },
};

const plainShort = { messages: [{ role: 'user' as const, content: 'Hi' }], max_tokens: 8 };

describe('the prompt estimate cannot be fooled by short calls', () => {
  it.each([
    ['structured-output calls (an uncounted schema)', schemaCall],
    ['plain "Hi" calls (mostly JSON structure)', plainShort],
  ])('after 50 %s, a prompt twice the edge window never reaches the edge', async (_name, call) => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    for (let i = 0; i < 50; i++) await lab.router.chat.completions.create(call);
    expect(servedBy(lab)).toEqual(Array(50).fill('edge-1'));

    const long = await lab.router.chat.completions.create({
      messages: [prompt(EDGE_WINDOW * 2)],
      max_tokens: 16,
    });
    expect(long.model).toBe('origin-model');
    const end = lab.events.filter(([n]) => n === 'request:end').at(-1)?.[1];
    const requestId = end?.requestId as string;
    expect(end?.endpointId).toBe('origin');
    expect(end?.attempts).toBe(1);
    expect(lab.events.some(([n]) => n === 'attempt:error')).toBe(false);

    const edge = await httpStats('edge-1');
    expect(edge.received).toBe(50);
    expect(edge.byRequestId[requestId]).toBeUndefined();
    expect(edge.byStatus['400']).toBeUndefined();
    const origin = await httpStats('origin');
    expect(origin.byRequestId[requestId]).toBe(1);
    const select = lab.events.filter(([n]) => n === 'route:select').at(-1)?.[1] ?? {};
    const excluded = select.excluded as Record<string, string>;
    expect(excluded['edge-1']).toMatch(/context \d+ > window/);
  });

  it('keeps sending short and medium prompts to the edge after the short calls', async () => {
    // The other side: the bound must not push what fits well to the origin.
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    for (let i = 0; i < 50; i++) await lab.router.chat.completions.create(schemaCall);
    const medium = await lab.router.chat.completions.create({
      messages: [prompt(EDGE_WINDOW / 2)],
      max_tokens: 16,
    });
    expect(medium.model).toBe('edge-model');
  });

  it('a context-length refusal that states the count corrects the estimate at once', async () => {
    // The edge's tokenizer counts twice what the router assumes (8 chars/token configured).
    lab = await startLab([edgeProfile('edge-1'), originProfile()], {
      estimate: { charsPerToken: 8 },
    });
    const body = { messages: [prompt(2600)], max_tokens: 16 };
    expect((await lab.router.chat.completions.create(body)).model).toBe('origin-model');
    expect(lab.events.find(([n]) => n === 'attempt:error')?.[1].failure).toBe('context_length');
    const learned = lab.router.stats().endpoints.find((e) => e.id === 'edge-1')?.signals;
    expect(learned?.charsPerToken).toBeLessThan(5);
    expect(learned?.promptTokensUnderestimate).toBeGreaterThan(0.9);
    // The same prompt, and one 10% shorter, now go to the origin without another refusal.
    await lab.router.chat.completions.create(body);
    await lab.router.chat.completions.create({ messages: [prompt(2340)], max_tokens: 16 });
    const edge = await httpStats('edge-1');
    expect(edge.received).toBe(1);
    expect(edge.byStatus['400']).toBe(1);
  });

  it('shows the fit in stats()', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    for (const tokens of [50, 400, 1_200, 100, 800, 1_500, 300, 20]) {
      await lab.router.chat.completions.create({ messages: [prompt(tokens)], max_tokens: 8 });
    }
    const s = lab.router.stats().endpoints.find((e) => e.id === 'edge-1')?.signals;
    // The mock counts ceil(chars / 4) + 4 per message + 3: about 4 chars/token of JSON, and a
    // small negative intercept (the JSON keys it does not count).
    expect(s?.charsPerToken).toBeGreaterThan(3.8);
    expect(s?.charsPerToken).toBeLessThan(4.2);
    expect(s?.promptTokensIntercept).toBeGreaterThan(-15);
    expect(s?.promptTokensIntercept).toBeLessThan(0);
    expect(s?.promptTokensUnderestimate).toBeLessThan(0.05);
  });
});
