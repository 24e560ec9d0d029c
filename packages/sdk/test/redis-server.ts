import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer, Socket } from 'node:net';

/**
 * Redis for tests: `REDIS_URL` when set (CI starts one, see `.ci/run`), else a `redis-server` this
 * file starts on a free loopback port. Without either, the Redis tests are skipped locally — and
 * fail under CI, where Redis must be present.
 */
export const redisServerInstalled = spawnSync('redis-server', ['--version']).status === 0;
export const redisAvailable = Boolean(process.env.REDIS_URL) || redisServerInstalled;
export const redisRequired = Boolean(process.env.CI);

/** A `redis-server` process of a test. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGKILL: as abrupt as a crash). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
}

/** Starts a `redis-server` on 127.0.0.1 on a free port; resolves when it answers PING. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    await waitForPing(port);
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: start,
    stop: kill,
  };
}

/**
 * A Redis URL for a test file: `REDIS_URL`, or a server of its own (`stop` it in `afterAll`).
 * Tests keep apart by namespace.
 */
export async function redisForTests(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  const server = await startRedisServer();
  return { url: server.url, stop: () => server.stop() };
}

let namespaces = 0;
/** A namespace no other test uses. */
export function uniqueNamespace(name: string): string {
  return `test-${name}-${process.pid}-${Date.now().toString(36)}-${namespaces++}`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// Polls with a raw PING until the server answers (it takes a few ms to start).
async function waitForPing(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer within 10 s`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
