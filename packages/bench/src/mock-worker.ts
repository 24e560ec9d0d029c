/**
 * Worker-thread side of {@link startMockHost}: runs `startMockServer` on its own event loop (so the
 * mock gets one core and the router or client under test the other) and answers control and stats
 * requests from the parent over `postMessage`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ProfilePatch, startMockServer, type Topology } from '@tiered/mock-server';

type Request =
  | { id: number; op: 'stats'; endpoint: string }
  | { id: number; op: 'control'; endpoint: string; patch: ProfilePatch }
  | { id: number; op: 'close' };

const port = parentPort;
if (!port) throw new Error('mock-worker.ts must run in a worker thread');

const server = await startMockServer(workerData as Topology);
port.postMessage({
  ready: true,
  endpoints: server.endpoints.map((e) => ({ id: e.id, baseURL: e.baseURL })),
});

port.on('message', async (req: Request) => {
  try {
    if (req.op === 'stats') {
      port.postMessage({ id: req.id, ok: true, value: server.endpoint(req.endpoint).stats() });
    } else if (req.op === 'control') {
      await server.endpoint(req.endpoint).control(req.patch);
      port.postMessage({ id: req.id, ok: true });
    } else {
      await server.close();
      port.postMessage({ id: req.id, ok: true });
      port.close();
    }
  } catch (error) {
    port.postMessage({ id: req.id, ok: false, error: String(error) });
  }
});
