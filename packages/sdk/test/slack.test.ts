import { afterEach, describe, expect, it } from 'vitest';
import { edgeProfile, type Lab, originProfile, servedBy, startLab } from './two-tier.js';

let lab: Lab;
afterEach(async () => {
  await lab?.close();
});

const short = { messages: [{ role: 'user' as const, content: 'What is 2 + 2?' }], max_tokens: 8 };

/**
 * An edge that is cheap but slow to first token (400 ms) and an origin that is fast (≈15 ms; a
 * gap no hiccup of a loaded machine closes): by default the cheap tier serves (it has no queue);
 * with slack the router weighs latency.
 */
async function slowEdgeLab(options: { slack?: number } = {}) {
  lab = await startLab([edgeProfile('edge-1', { ttftMs: 400 }), originProfile()], {
    ...options,
    timeouts: { firstTokenFloorMs: 5_000, stallMs: 5_000, totalMs: 10_000 },
  });
  // One call to each, so both are measured rather than priors.
  await lab.router.chat.completions.create({ ...short, model: 'edge' });
  await lab.router.chat.completions.create({ ...short, model: 'origin' });
  lab.events.length = 0;
  return lab;
}

const received = (id: string) => lab.mock.endpoint(id).stats().received;

describe('slack: latency against cost', () => {
  it('by default the cheaper tier serves a call it fits, even when slower', async () => {
    await slowEdgeLab();
    await lab.router.chat.completions.create(short);
    expect(servedBy(lab)).toEqual(['edge-1']);
    expect(received('edge-1')).toBe(2);
    expect(received('origin')).toBe(1);
  });

  it('route.slack 1 takes the fastest tier; a large slack keeps the cheap one', async () => {
    await slowEdgeLab();
    await lab.router.chat.completions.create(short, { route: { slack: 1 } });
    await lab.router.chat.completions.create(short, { route: { slack: 100 } });
    expect(servedBy(lab)).toEqual(['origin', 'edge-1']);
    const reason = lab.events.find(([n]) => n === 'route:select')?.[1].reason;
    expect(reason).toMatch(/^origin: edge predicted \d+ms > slack 1 × origin \d+ms/);
    expect(received('edge-1')).toBe(2);
    expect(received('origin')).toBe(2);
  });

  it('the router option applies to every call, and route.slack overrides it', async () => {
    await slowEdgeLab({ slack: 1 });
    await lab.router.chat.completions.create(short);
    await lab.router.chat.completions.create(short, { route: { slack: Number.POSITIVE_INFINITY } });
    expect(servedBy(lab)).toEqual(['origin', 'edge-1']);
  });

  it('router.fetch callers set it with x-tiered-slack', async () => {
    await slowEdgeLab();
    const res = await lab.router.fetch('http://tiered.local/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tiered-slack': '1' },
      body: JSON.stringify(short),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tiered-tier')).toBe('origin');
    expect(received('origin')).toBe(2);
    expect(received('edge-1')).toBe(1);
  });
});
