import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/tiered-mock.js', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function run(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exit, stderr: () => stderr };
}

describe('tiered-mock CLI', () => {
  it('prints the ready line, serves, and exits 0 on SIGTERM', async () => {
    const { child, exit } = run([
      '--preset',
      'two-tier',
      '--port-base',
      '0',
      '--time-scale',
      '0.01',
    ]);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const [first] = (await once(lines, 'line')) as [string];
    const ready = JSON.parse(first);
    expect(ready.ready).toBe(true);
    expect(ready.endpoints.map((e: { id: string }) => e.id)).toEqual([
      'edge-1',
      'edge-2',
      'origin',
    ]);
    expect(ready.endpoints[0].baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const client = new OpenAI({ baseURL: ready.endpoints[2].baseURL, apiKey: 'x', maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toMatch(/^origin:/);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('refuses a bad flag with status 2: one line naming it, a hint, no usage or stack', async () => {
    const { exit, stderr } = run(['--preset', 'two-tier', '--time-scale', 'fast']);
    expect(await exit).toBe(2);
    expect(stderr().trim().split('\n')).toEqual([
      'tiered-mock: Invalid flag --time-scale: must be a positive number, got "fast"',
      'Run tiered-mock --help for usage.',
    ]);
  });

  it('refuses an unknown flag the same way', async () => {
    const { exit, stderr } = run(['--preset', 'two-tier', '--tim-scale', '0.01']);
    expect(await exit).toBe(2);
    const lines = stderr().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^tiered-mock: .*--tim-scale/);
    expect(lines[1]).toBe('Run tiered-mock --help for usage.');
  });

  it('refuses a bad topology file naming the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tiered-mock-'));
    const file = join(dir, 'topology.json');
    await writeFile(
      file,
      JSON.stringify({
        endpoints: [
          { id: 'a', model: 'm', contextWindow: 10 },
          { id: 'b', model: 'm', contextWindow: -5 },
        ],
      }),
    );
    const { exit, stderr } = run(['--config', file]);
    expect(await exit).toBe(2);
    expect(stderr().trim()).toBe(
      'tiered-mock: Invalid topology: `endpoints[1].contextWindow` must be a positive integer, got -5',
    );
  });
});
