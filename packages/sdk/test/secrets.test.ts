import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouter, type Router, type RouterEventName } from '../src/index.js';
import { ALL_EVENTS, edgeProfile, type Lab, originProfile, startLab } from './two-tier.js';

/**
 * Keys go to their own endpoint and nowhere else: not into events, errors (messages, stacks,
 * causes, own properties), stats, or another endpoint. A mixed fault run (5xx, 429, hangs,
 * disconnects, malformed chunks, a wrong key answered 401, hedges, probes) produces every kind of
 * payload; all of it is serialized and searched for the key strings.
 */

const KEYS = {
  edge1: 'sk-edge-SECRET-1',
  edge2: 'sk-edge-SECRET-2',
  edge2Wrong: 'sk-edge-SECRET-wrong-2',
  origin: 'sk-origin-SECRET-3',
  header: 'hdr-SECRET-4',
  caller: 'caller-secret-5',
};
const SECRET_PARTS = [...Object.values(KEYS), 'SECRET'];

let lab: Lab | undefined;
let router: Router | undefined;
let closeFake: (() => Promise<void>) | undefined;
afterEach(async () => {
  await lab?.close();
  await router?.close();
  await closeFake?.();
  lab = undefined;
  router = undefined;
  closeFake = undefined;
});

/** Everything an error exposes: message, stack, own properties, and the same down its causes. */
function dumpError(error: unknown, depth = 0): string {
  if (depth > 8 || error === null || error === undefined) return String(error);
  if (typeof error !== 'object') return String(error);
  const e = error as Error & Record<string, unknown>;
  const own: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(e)) own[key] = e[key];
  let json: string;
  try {
    json = JSON.stringify(own, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  } catch {
    json = '';
  }
  return [
    String(e.message),
    String(e.stack),
    json,
    inspect(e, { depth: 10, showHidden: true }),
    dumpError(e.cause, depth + 1),
  ].join('\n');
}

function expectNoSecret(text: string) {
  for (const secret of SECRET_PARTS) expect(text).not.toContain(secret);
}

describe('secrets', () => {
  it('no key appears in any event, error, cause or stats under a mixed fault run', async () => {
    lab = await startLab(
      [
        edgeProfile('edge-1', { apiKey: KEYS.edge1 }),
        edgeProfile('edge-2', { apiKey: KEYS.edge2 }),
        originProfile({ apiKey: KEYS.origin }),
      ],
      {
        probes: { intervalMs: 25 },
        hedge: { delayMs: 20 },
        health: { ejectAfterFailures: 2, cooldownMs: 50 },
        timeouts: { firstTokenFloorMs: 150, stallMs: 150, totalMs: 3_000 },
        retry: { retries: 1, minDelayMs: 2, maxDelayMs: 5 },
      },
      (id) => ({
        // edge-2 is configured with the wrong key: every call there answers 401.
        ...(id === 'edge-2' ? { apiKey: KEYS.edge2Wrong } : {}),
        headers: { 'x-api-key': KEYS.header },
        maxConcurrency: 4,
        ...(id === 'origin' ? { price: { inputPerMTok: 2, outputPerMTok: 8 } } : {}),
      }),
    );
    const l = lab;
    // Every event of RouterEvents, batch:progress included.
    const payloads: Array<[RouterEventName, unknown]> = [];
    for (const name of ALL_EVENTS) l.router.on(name, (p) => payloads.push([name, p]));
    await l.mock.endpoint('edge-1').control({
      faults: {
        errorRate: 0.15,
        rateLimitRate: 0.1,
        retryAfterS: 0,
        hangRate: 0.1,
        disconnectRate: 0.1,
        malformedRate: 0.1,
        stallRate: 0.1,
        stallMs: 400,
      },
    });
    await l.mock.endpoint('origin').control({ faults: { errorRate: 0.1 } });

    const errors: unknown[] = [];
    const session = l.router.session({ id: 'agent-1', budgetUsd: 5 });
    const one = async (i: number) => {
      const target = i % 3 === 0 ? session.chat.completions : l.router.chat.completions;
      const body = { messages: [{ role: 'user' as const, content: `q${i}` }], max_tokens: 6 };
      try {
        if (i % 2 === 0) {
          const s = await target.create({ ...body, stream: true });
          for await (const _c of s) {
          }
        } else {
          await target.create(body, { headers: { Authorization: `Bearer ${KEYS.caller}` } });
        }
      } catch (error) {
        errors.push(error);
      }
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 60) await one(next++);
      }),
    );
    const batch = await session.batch([
      { messages: [{ role: 'user', content: 'b1' }], max_tokens: 2 },
      { messages: [{ role: 'user', content: 'b2' }], max_tokens: 2 },
      { messages: [], max_tokens: 2 },
    ]);
    for (const r of batch) if (r.status === 'rejected') errors.push(r.reason);
    // A budget refusal and a refused route add their own payloads.
    const tiny = l.router.session({ budgetUsd: 0 });
    await tiny.chat.completions
      .create({ messages: [{ role: 'user', content: 'x' }] }, { route: { tier: 'origin' } })
      .catch((e) => errors.push(e));

    // The run produced every kind of payload it is meant to.
    const names = new Set(payloads.map(([n]) => n));
    for (const n of [
      'attempt:error',
      'failover',
      'endpoint:eject',
      'probe:end',
      'request:error',
      'request:end',
      'batch:progress',
      'budget:exceeded',
    ] as const) {
      expect(names, n).toContain(n);
    }
    expect(errors.length).toBeGreaterThan(0);
    expect(l.events.some(([n, p]) => n === 'attempt:error' && p.failure === 'misconfigured')).toBe(
      true,
    );

    for (const [name, payload] of payloads) {
      expectNoSecret(`${name} ${JSON.stringify(payload)} ${inspect(payload, { depth: 10 })}`);
    }
    for (const error of errors) expectNoSecret(dumpError(error));
    expectNoSecret(JSON.stringify(l.router.stats()));
    expectNoSecret(inspect(l.router.stats(), { depth: 10 }));
    expectNoSecret(JSON.stringify(session.stats()));
    expectNoSecret(JSON.stringify(tiny.stats()));

    // Each endpoint saw its own key only (edge-2 its wrong one); never the caller's.
    expect(l.mock.endpoint('edge-1').stats().authorization).toEqual([`Bearer ${KEYS.edge1}`]);
    expect(l.mock.endpoint('edge-2').stats().authorization).toEqual([`Bearer ${KEYS.edge2Wrong}`]);
    expect(l.mock.endpoint('origin').stats().authorization).toEqual([`Bearer ${KEYS.origin}`]);
  });

  it("router.fetch never forwards the openai client's Authorization upstream", async () => {
    lab = await startLab([
      edgeProfile('edge-1', { apiKey: KEYS.edge1 }),
      originProfile({ apiKey: KEYS.origin }),
    ]);
    const l = lab;
    const client = new OpenAI({
      baseURL: 'http://tiered.local/v1',
      apiKey: KEYS.caller,
      fetch: l.router.fetch,
      maxRetries: 0,
    });
    await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 4,
    });
    const stream = await client.chat.completions.create({
      model: 'origin',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 4,
      stream: true,
    });
    for await (const _c of stream) {
    }
    const error = await client.chat.completions
      .create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e) => e);
    expectNoSecret(dumpError(error));
    for (const e of l.mock.endpoints) {
      expect(e.stats().authorization.join('\n')).not.toContain(KEYS.caller);
    }
    for (const [, payload] of l.events) expectNoSecret(JSON.stringify(payload));
  });

  // Bug: an upstream that echoes the key it was given in its error body (some gateways and
  // OpenAI-compatible servers do, in full or in part) leaks it: classify-response.ts copies up to
  // 300 characters of the upstream message into the AttemptFailure message, which becomes the
  // `attempt:error` event's `message`, `AttemptRecord.message` and the AllAttemptsFailedError
  // message. The router knows every endpoint's key and header values: it should redact them from
  // upstream text (e.g. replace each with `***`) before it goes anywhere.
  it('an upstream that echoes the key in its 401 body does not leak it', async () => {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: `Incorrect API key provided: ${req.headers.authorization?.slice(7)}`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closeFake = () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      });
    const { port } = server.address() as AddressInfo;
    router = createRouter({
      probes: false,
      endpoints: [
        {
          id: 'echo',
          tier: 'edge',
          baseURL: `http://127.0.0.1:${port}/v1`,
          apiKey: KEYS.edge1,
          model: 'm',
          contextWindow: 8192,
        },
      ],
      retry: { retries: 0 },
    });
    const payloads: string[] = [];
    router.on('attempt:error', (e) => payloads.push(JSON.stringify(e)));
    router.on('endpoint:eject', (e) => payloads.push(JSON.stringify(e)));
    const error = await router.chat.completions
      .create({ messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e);
    expect(error.code).toBe('all_attempts_failed');
    expect(payloads.length).toBeGreaterThan(0);
    for (const p of payloads) expect(p).not.toContain(KEYS.edge1);
    expect(dumpError(error)).not.toContain(KEYS.edge1);
  });
});
