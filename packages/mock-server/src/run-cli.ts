import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type PresetName, presets } from './presets.js';
import { type MockServer, startMockServer } from './start-mock-server.js';
import { parseTopology, type Topology, TopologyError } from './topology.js';

/** Where the CLI writes and how it waits for a stop signal; injectable for tests. */
export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** Resolves when the process is asked to stop (SIGINT / SIGTERM). */
  readonly stopped: Promise<unknown>;
}

/** Exit status for bad flags or a bad topology, like most CLIs' usage errors. */
export const EXIT_USAGE = 2;

/** What `tiered-mock --help` prints. */
export const USAGE = `Usage: tiered-mock (--preset NAME | --config FILE) [options]

Serves OpenAI-compatible mock endpoints with latency, queueing and fault models.

Options:
  --preset NAME       built-in topology: ${Object.keys(presets).join(', ')}
  --config FILE       topology JSON file ({ "seed", "timeScale", "endpoints": [...] })
  --seed N            override the topology's seed (integer)
  --time-scale X      override the time scale (0.01 = 100x faster)
  --port-base N       endpoint i listens on port N+i (0 = any free ports)
  -h, --help          show this help

When every endpoint listens, prints one JSON line:
  {"ready":true,"endpoints":[{"id":"edge-1","baseURL":"http://127.0.0.1:PORT/v1"},...]}
then serves until SIGINT/SIGTERM.`;

/** What a usage error prints after the line naming the problem. */
export const USAGE_HINT = 'Run tiered-mock --help for usage.';

class UsageError extends Error {}

const parseNumber = (
  flag: string,
  value: string | undefined,
  ok: (n: number) => boolean,
  what: string,
) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !ok(n)) {
    throw new UsageError(`Invalid flag --${flag}: must be ${what}, got ${JSON.stringify(value)}`);
  }
  return n;
};

async function loadTopology(
  values: Record<string, string | boolean | undefined>,
): Promise<Topology> {
  const { preset, config } = values;
  if (typeof preset === 'string' && typeof config === 'string') {
    throw new UsageError('Use either --preset or --config, not both');
  }
  if (typeof preset === 'string') {
    if (!Object.hasOwn(presets, preset)) {
      throw new UsageError(
        `Unknown preset ${JSON.stringify(preset)} (known: ${Object.keys(presets).join(', ')})`,
      );
    }
    return structuredClone(presets[preset as PresetName]);
  }
  if (typeof config !== 'string') throw new UsageError('Missing --preset or --config');
  let text: string;
  try {
    text = await readFile(config, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read topology file ${config}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as Topology;
  } catch (error) {
    throw new UsageError(`Invalid topology: ${config} is not JSON (${(error as Error).message})`);
  }
}

/**
 * The `tiered-mock` command: parses flags, starts the topology, prints the ready line, serves until
 * `io.stopped`, closes. Resolves the exit status; never throws for user errors: they print one line
 * naming the problem (a bad flag adds {@link USAGE_HINT}), without a stack trace, with status 2.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let server: MockServer;
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        preset: { type: 'string' },
        config: { type: 'string' },
        seed: { type: 'string' },
        'time-scale': { type: 'string' },
        'port-base': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    const raw = await loadTopology(values);
    const seed = parseNumber('seed', values.seed, Number.isInteger, 'an integer');
    const timeScale = parseNumber(
      'time-scale',
      values['time-scale'],
      (n) => n > 0 && Number.isFinite(n),
      'a positive number',
    );
    const portBase = parseNumber(
      'port-base',
      values['port-base'],
      (n) => Number.isInteger(n) && n >= 0 && n < 65536,
      'an integer port 0..65535',
    );
    const topology = parseTopology(raw);
    if (seed !== undefined) topology.seed = seed;
    if (timeScale !== undefined) topology.timeScale = timeScale;
    if (portBase !== undefined) {
      topology.endpoints = topology.endpoints.map((e, i) => ({
        ...e,
        port: portBase === 0 ? 0 : portBase + i,
      }));
    }
    server = await startMockServer(topology);
  } catch (error) {
    // A bad topology names its key; the flags are fine, so no hint.
    if (error instanceof TopologyError) {
      io.stderr(`tiered-mock: ${error.message}`);
      return EXIT_USAGE;
    }
    // parseArgs' errors (unknown flag, missing value) carry a code starting with ERR_PARSE_ARGS.
    const code = (error as { code?: unknown }).code;
    if (
      error instanceof UsageError ||
      (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
    ) {
      // One line naming the problem and where to look; the full usage only for --help.
      io.stderr(`tiered-mock: ${(error as Error).message}`);
      io.stderr(USAGE_HINT);
      return EXIT_USAGE;
    }
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      io.stderr(`tiered-mock: cannot listen: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  }
  io.stdout(
    JSON.stringify({
      ready: true,
      endpoints: server.endpoints.map(({ id, baseURL }) => ({ id, baseURL })),
    }),
  );
  await io.stopped;
  await server.close();
  return 0;
}
