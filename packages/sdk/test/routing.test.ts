import { afterEach, describe, expect, it } from 'vitest';
import {
  AllAttemptsFailedError,
  InvalidRequestError,
  NoEndpointError,
  UpstreamError,
} from '../src/index.js';
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

const short = { messages: [{ role: 'user' as const, content: 'What is 2 + 2?' }], max_tokens: 8 };

describe('routing by estimate', () => {
  it('sends short prompts to the edge and long ones to the origin without touching the edge', async () => {
    lab = await startLab();
    for (let i = 0; i < 6; i++) await lab.router.chat.completions.create(short);
    expect(servedBy(lab).every((id) => id.startsWith('edge'))).toBe(true);

    const edgeBefore =
      lab.mock.endpoint('edge-1').stats().received + lab.mock.endpoint('edge-2').stats().received;
    const long = await lab.router.chat.completions.create({
      messages: [prompt(EDGE_WINDOW * 2)],
      max_tokens: 16,
    });
    expect(long.model).toBe('origin-model');
    const edgeAfter =
      lab.mock.endpoint('edge-1').stats().received + lab.mock.endpoint('edge-2').stats().received;
    expect(edgeAfter).toBe(edgeBefore);
    const select = lab.events.filter(([n]) => n === 'route:select').at(-1)?.[1];
    expect(select?.endpointId).toBe('origin');
    expect(String(select?.reason)).toMatch(/context/);
    expect(Object.keys(select?.excluded as object).sort()).toEqual(['edge-1', 'edge-2']);
  });

  it('each endpoint receives its own model name upstream, whatever the caller asked', async () => {
    lab = await startLab();
    const c = await lab.router.chat.completions.create({ ...short, model: 'edge' });
    expect(c.model).toBe('edge-model');
    const o = await lab.router.chat.completions.create({ ...short, model: 'origin' });
    expect(o.model).toBe('origin-model');
    const pinned = await lab.router.chat.completions.create({ ...short, model: 'edge-2' });
    expect(pinned.model).toBe('edge-model');
    expect(servedBy(lab)).toEqual([expect.stringMatching(/^edge/), 'origin', 'edge-2']);
    const byModel = await lab.router.chat.completions.create({ ...short, model: 'origin-model' });
    expect(byModel.model).toBe('origin-model');
  });

  it('refuses an unknown model with the choices, and sends nothing', async () => {
    lab = await startLab();
    const error = await lab.router.chat.completions
      .create({ ...short, model: 'gpt-5' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/unknown model "gpt-5".*edge.*origin/);
    for (const e of lab.mock.endpoints) expect(e.stats().received).toBe(0);
  });

  it('refuses a prompt no endpoint can hold with NoEndpointError, sending nothing', async () => {
    lab = await startLab([edgeProfile('edge-1')]);
    const error = await lab.router.chat.completions
      .create({ messages: [prompt(EDGE_WINDOW * 2)] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(NoEndpointError);
    expect(error.code).toBe('no_endpoint');
    expect(error.message).toMatch(/edge-1: context/);
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(0);
  });
});

describe('failover', () => {
  const edgeOnly = async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], {
      health: { ejectAfterFailures: 100 },
    });
  };

  for (const [name, patch] of [
    ['503', { faults: { errorRate: 1, errorStatus: 503 } }],
    ['500', { faults: { errorRate: 1, errorStatus: 500 } }],
    ['429', { faults: { rateLimitRate: 1, retryAfterS: 0 } }],
    ['a hang', { faults: { hangRate: 1 } }],
    ['a disconnect', { faults: { disconnectRate: 1 } }],
  ] as const) {
    it(`an edge answering ${name} fails over to the origin; each call reaches each endpoint once`, async () => {
      await edgeOnly();
      await lab.mock.endpoint('edge-1').control(patch);
      const ids: string[] = [];
      lab.router.on('request:start', (e) => ids.push(e.requestId));
      for (let i = 0; i < 3; i++) {
        const c = await lab.router.chat.completions.create(short);
        expect(c.model).toBe('origin-model');
      }
      const edge = lab.mock.endpoint('edge-1').stats();
      const origin = lab.mock.endpoint('origin').stats();
      for (const id of ids) {
        expect(edge.byRequestId[id]).toBe(1);
        expect(origin.byRequestId[id]).toBe(1);
      }
      expect(origin.completed).toBe(3);
      expect(lab.eventsOf(ids[0] as string)).toEqual([
        'request:start',
        'route:select',
        'attempt:start',
        'attempt:error',
        'failover',
        'attempt:start',
        'attempt:end',
        'request:end',
      ]);
    });
  }

  it('an edge refusing connections fails over to the origin', async () => {
    await edgeOnly();
    await lab.mock.endpoint('edge-1').control({ down: true });
    const c = await lab.router.chat.completions.create(short);
    expect(c.model).toBe('origin-model');
    const error = lab.events.find(([n]) => n === 'attempt:error')?.[1];
    expect(error?.failure).toBe('connection');
  });

  it('returns a plain 400 at once, untried elsewhere', async () => {
    await edgeOnly();
    await lab.mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 400 } });
    const error = await lab.router.chat.completions.create(short).catch((e) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.status).toBe(400);
    expect(error.endpointId).toBe('edge-1');
    expect(lab.mock.endpoint('origin').stats().received).toBe(0);
  });

  it('a 401 marks the endpoint misconfigured, ejects it and fails over', async () => {
    lab = await startLab(
      [edgeProfile('edge-1', { apiKey: 'edge-secret' }), originProfile()],
      {},
      (id) => (id === 'edge-1' ? { apiKey: 'wrong-key' } : {}),
    );
    const c = await lab.router.chat.completions.create(short);
    expect(c.model).toBe('origin-model');
    expect(lab.events.find(([n]) => n === 'attempt:error')?.[1].failure).toBe('misconfigured');
    expect(lab.events.some(([n, p]) => n === 'endpoint:eject' && p.endpointId === 'edge-1')).toBe(
      true,
    );
    // Ejected: the next call goes straight to the origin.
    await lab.router.chat.completions.create(short);
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(1);
  });

  it('a context-length refusal moves to a larger window and corrects the estimate', async () => {
    // The edge's tokenizer counts twice what the router assumes: its prompts are "longer".
    lab = await startLab([edgeProfile('edge-1'), originProfile()], {
      estimate: { charsPerToken: 8 },
    });
    const c = await lab.router.chat.completions.create({
      messages: [prompt(2600)],
      max_tokens: 16,
    });
    expect(c.model).toBe('origin-model');
    expect(lab.events.find(([n]) => n === 'attempt:error')?.[1].failure).toBe('context_length');
    const edge = lab.router.stats().endpoints.find((e) => e.id === 'edge-1');
    expect(edge?.signals.charsPerToken).toBeLessThan(8);
    // Learned: the same prompt now goes to the origin by estimate, without another refusal.
    await lab.router.chat.completions.create({ messages: [prompt(2600)], max_tokens: 16 });
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(1);
  });

  it('when every endpoint fails, ends with AllAttemptsFailedError listing the attempts', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], {
      retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
    });
    for (const e of lab.mock.endpoints)
      await e.control({ faults: { errorRate: 1, errorStatus: 502 } });
    const error = await lab.router.chat.completions.create(short).catch((e) => e);
    expect(error).toBeInstanceOf(AllAttemptsFailedError);
    expect(error.code).toBe('all_attempts_failed');
    expect(error.attempts.map((a: { endpointId: string }) => a.endpointId)).toEqual([
      'edge-1',
      'origin',
      'edge-1',
      'origin',
    ]);
    expect(error.attempts.every((a: { status: number }) => a.status === 502)).toBe(true);
    expect(lab.events.some(([n]) => n === 'retry')).toBe(true);
  });
});

describe('signals', () => {
  it('a slow edge loses traffic to a fast one within a few dozen calls', async () => {
    lab = await startLab([
      edgeProfile('edge-1', { ttftMs: 60 }),
      edgeProfile('edge-2', { ttftMs: 2 }),
      originProfile(),
    ]);
    for (let i = 0; i < 30; i++) await lab.router.chat.completions.create(short);
    const last = servedBy(lab).slice(-15);
    const fast = last.filter((id) => id === 'edge-2').length;
    expect(fast).toBeGreaterThanOrEqual(13);
  });

  it('ejects an endpoint after consecutive failures and restores it after the cool-down', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], {
      health: { ejectAfterFailures: 2, cooldownMs: 150 },
    });
    await lab.mock.endpoint('edge-1').control({ faults: { errorRate: 1, errorStatus: 500 } });
    await lab.router.chat.completions.create(short);
    await lab.router.chat.completions.create(short);
    expect(lab.events.filter(([n]) => n === 'endpoint:eject').map(([, p]) => p.endpointId)).toEqual(
      ['edge-1'],
    );
    await lab.router.chat.completions.create(short);
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(2); // ejected: not tried
    expect(lab.router.stats().endpoints[0]?.ejected).toBe(true);

    await lab.mock.endpoint('edge-1').control({ faults: { errorRate: 0 } });
    await new Promise((r) => setTimeout(r, 200));
    const c = await lab.router.chat.completions.create(short);
    expect(c.model).toBe('edge-model');
    expect(
      lab.events.filter(([n]) => n === 'endpoint:restore').map(([, p]) => p.endpointId),
    ).toEqual(['edge-1']);
    expect(lab.router.stats().endpoints[0]?.ejected).toBe(false);
  });
});

describe('concurrency', () => {
  it("the router's maxConcurrency bounds calls in flight across all endpoints", async () => {
    lab = await startLab(
      [
        edgeProfile('edge-1', { ttftMs: 20 }),
        edgeProfile('edge-2', { ttftMs: 20 }),
        originProfile(),
      ],
      { maxConcurrency: 3 },
    );
    let inFlight = 0;
    let peak = 0;
    lab.router.on('attempt:start', () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
    });
    lab.router.on('attempt:end', () => inFlight--);
    lab.router.on('attempt:error', () => inFlight--);
    await Promise.all(Array.from({ length: 15 }, () => lab.router.chat.completions.create(short)));
    expect(peak).toBe(3);
    const received = lab.mock.endpoints.map((e) => e.stats().received);
    expect(received.reduce((a, b) => a + b, 0)).toBe(15);
    expect(lab.events.some(([n]) => n === 'queue:wait')).toBe(true);
  });
});

describe('request events describe the request and the answer', () => {
  it('request:start carries the parameters; request:end the answer’s id, model and finish reasons', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()]);
    const completion = await lab.router.chat.completions.create({
      ...short,
      temperature: 0.3,
      top_p: 0.5,
      stop: 'END',
      seed: 9,
    });
    const chunks = [];
    for await (const chunk of await lab.router.chat.completions.create({
      ...short,
      stream: true,
    })) {
      chunks.push(chunk);
    }
    const starts = lab.events.filter(([n]) => n === 'request:start').map(([, p]) => p);
    const ends = lab.events.filter(([n]) => n === 'request:end').map(([, p]) => p);
    expect(starts[0]?.params).toEqual({
      maxTokens: 8,
      temperature: 0.3,
      topP: 0.5,
      frequencyPenalty: undefined,
      presencePenalty: undefined,
      stopSequences: ['END'],
      seed: 9,
      choiceCount: undefined,
      reasoningEffort: undefined,
      responseFormat: undefined,
    });
    expect(ends[0]).toMatchObject({
      responseId: completion.id,
      responseModel: 'edge-model',
      finishReasons: [completion.choices[0]?.finish_reason],
    });
    expect(ends[1]).toMatchObject({
      stream: true,
      responseId: chunks[0]?.id,
      responseModel: 'edge-model',
      finishReasons: [chunks.at(-1)?.choices[0]?.finish_reason],
    });
    expect(ends[1]?.responseId).not.toBe(ends[0]?.responseId);
    // Never the prompt.
    expect(JSON.stringify(starts)).not.toContain('2 + 2');
  });
});
