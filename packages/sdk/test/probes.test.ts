import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { edgeProfile, type Lab, originProfile, startLab } from './two-tier.js';

let lab: Lab;
afterEach(async () => {
  await lab?.close();
});

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('probes', () => {
  it("measure RTT with GET /models and the endpoint's own key, repeatedly", async () => {
    lab = await startLab(
      [
        edgeProfile('edge-1', { apiKey: 'edge-key', rttMs: 20 }),
        originProfile({ apiKey: 'origin-key' }),
      ],
      { probes: { intervalMs: 40 } },
    );
    await tick(400);
    const probes = lab.events.filter(([n]) => n === 'probe:end').map(([, p]) => p);
    const edgeProbes = probes.filter((p) => p.endpointId === 'edge-1');
    expect(edgeProbes.length).toBeGreaterThanOrEqual(2);
    expect(edgeProbes.every((p) => p.ok && p.status === 200)).toBe(true);
    expect(lab.mock.endpoint('edge-1').stats().probes).toBeGreaterThanOrEqual(edgeProbes.length);
    expect(lab.mock.endpoint('edge-1').stats().authorization).toEqual(['Bearer edge-key']);
    expect(lab.mock.endpoint('origin').stats().authorization).toEqual(['Bearer origin-key']);
    // A cold endpoint starts from its probe RTT.
    const rtt = lab.router.stats().endpoints[0]?.signals.rttMs ?? 0;
    expect(rtt).toBeGreaterThanOrEqual(15);
  });

  it('bring an ejected endpoint back once it answers again', async () => {
    lab = await startLab([edgeProfile('edge-1'), originProfile()], {
      probes: { intervalMs: 30 },
      health: { ejectAfterFailures: 1, cooldownMs: 60_000 },
    });
    await lab.mock.endpoint('edge-1').control({ down: true });
    await lab.router.chat.completions.create({
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 2,
    });
    expect(lab.router.stats().endpoints[0]?.ejected).toBe(true);
    await lab.mock.endpoint('edge-1').control({ down: false });
    await tick(200);
    const restore = lab.events.find(([n]) => n === 'endpoint:restore')?.[1];
    expect(restore).toMatchObject({ endpointId: 'edge-1', via: 'probe' });
    expect(lab.router.stats().endpoints[0]?.ejected).toBe(false);
    const c = await lab.router.chat.completions.create({
      messages: [{ role: 'user', content: 'y' }],
      max_tokens: 2,
    });
    expect(c.model).toBe('edge-model');
  });

  it('eject an endpoint that refuses its key, without any call', async () => {
    lab = await startLab(
      [edgeProfile('edge-1', { apiKey: 'right' }), originProfile()],
      { probes: { intervalMs: 30 } },
      (id) => (id === 'edge-1' ? { apiKey: 'wrong' } : {}),
    );
    await tick(150);
    const eject = lab.events.find(([n]) => n === 'endpoint:eject')?.[1];
    expect(eject).toMatchObject({ endpointId: 'edge-1' });
    expect(String(eject?.reason)).toMatch(/401/);
    const c = await lab.router.chat.completions.create({
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 2,
    });
    expect(c.model).toBe('origin-model');
    expect(lab.mock.endpoint('edge-1').stats().received).toBe(0);
  });

  it('stop at close()', async () => {
    lab = await startLab([edgeProfile('edge-1')], { probes: { intervalMs: 20 } });
    await tick(100);
    await lab.router.close();
    // A probe already on the wire may still land: let it, then nothing more may come.
    await tick(50);
    const after = lab.mock.endpoint('edge-1').stats().probes;
    await tick(150);
    expect(lab.mock.endpoint('edge-1').stats().probes).toBe(after);
  });
});

describe('probes of a server without GET /models', () => {
  it('stop probing it and leave its health alone', async () => {
    // A server that answers 404 to everything, as one without GET /models would to probes.
    const server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not found"}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      lab = await startLab(
        [edgeProfile('edge-1'), originProfile()],
        { probes: { intervalMs: 20 } },
        (id) => (id === 'edge-1' ? { baseURL: `http://127.0.0.1:${port}/v1` } : {}),
      );
      await tick(150);
      const probes = lab.events.filter(([n, p]) => n === 'probe:end' && p.endpointId === 'edge-1');
      expect(probes.map(([, p]) => p.status)).toEqual([404]);
      expect(lab.events.some(([n]) => n === 'endpoint:eject')).toBe(false);
    } finally {
      await lab.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
