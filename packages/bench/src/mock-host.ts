import { Worker } from 'node:worker_threads';
import type { MockStats, ProfilePatch, Topology } from '@tiered/mock-server';

/** A mock topology running in a worker thread, driven from the main thread. */
export interface MockHost {
  readonly endpoints: readonly { readonly id: string; readonly baseURL: string }[];
  baseURL(id: string): string;
  stats(id: string): Promise<MockStats>;
  control(id: string, patch: ProfilePatch): Promise<void>;
  /** Closes every listener (hung requests included) and ends the worker. */
  close(): Promise<void>;
}

/**
 * Starts `startMockServer(topology)` in a worker thread. On 2 cores this keeps the mock's event loop
 * off the one that runs the client under test, so a busy client does not slow the "servers" (and
 * the other way round). The worker is TypeScript: tsx's loader is registered inside it first.
 */
export async function startMockHost(topology: Topology): Promise<MockHost> {
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./mock-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(code, { eval: true, execArgv: [], workerData: topology });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const ready = new Promise<{ id: string; baseURL: string }[]>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (msg) => {
      if (msg.ready) {
        resolve(msg.endpoints);
        return;
      }
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(msg.error));
    });
  });
  const endpoints = await ready;
  worker.on('error', (error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  });
  const call = <T>(req: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...req, id });
    });
  let closing: Promise<void> | undefined;
  return {
    endpoints,
    baseURL(id) {
      const e = endpoints.find((x) => x.id === id);
      if (!e) throw new Error(`Unknown mock endpoint \`${id}\``);
      return e.baseURL;
    },
    stats: (id) => call<MockStats>({ op: 'stats', endpoint: id }),
    control: (id, patch) => call<void>({ op: 'control', endpoint: id, patch }),
    close() {
      closing ??= call<void>({ op: 'close' }).then(async () => {
        await worker.terminate();
      });
      return closing;
    },
  };
}
