// Fidelity and throughput of the mock server. Run: pnpm --filter @tiered/mock-server bench
//
// (a) Latency fidelity: 200 streaming calls through the openai client at timeScale 1 against one
//     profile; measured median time to first token and total time vs the model's prediction.
// (b) Throughput: a zero-latency profile, non-streaming calls, 64 in flight over keep-alive
//     connections, for a few seconds. The load generator runs in a worker thread of the same process
//     (node:http client with a keep-alive agent), so the mock's event loop has the main thread and
//     the generator the second core; a same-thread fetch (undici) run is shown for comparison.
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import OpenAI from 'openai';
import { estimatePromptTokens } from '../src/estimate-prompt-tokens.js';
import { startMockServer } from '../src/index.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
};
const fmt = (n: number, digits = 1): string => n.toFixed(digits);

async function fidelity(): Promise<string[][]> {
  const profile = {
    id: 'bench',
    model: 'm',
    contextWindow: 8192,
    ttftMs: 50,
    prefillTokensPerSec: 2000,
    decodeTokensPerSec: 100,
    outputTokens: 50,
    jitter: 0.1,
  };
  const server = await startMockServer({ seed: 1, timeScale: 1, endpoints: [profile] });
  const client = new OpenAI({ baseURL: server.endpoints[0]?.baseURL, apiKey: 'x', maxRetries: 0 });
  // A prompt the mock counts as ~500 tokens.
  const content = 'word '.repeat(394);
  const messages = [{ role: 'user' as const, content }];
  const promptTokens = estimatePromptTokens(messages);
  const ttfts: number[] = [];
  const totals: number[] = [];
  const calls = 200;
  const concurrency = 20;
  const warmUp = 20;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls + warmUp) {
      const measured = next++ >= warmUp;
      const start = performance.now();
      let first = 0;
      const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
      for await (const chunk of stream) {
        if (first === 0 && chunk.choices[0]?.delta.content) first = performance.now();
      }
      if (!measured) continue;
      ttfts.push(first - start);
      totals.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await server.close();
  // Prediction: jitter is log-normal with median 1, so medians match the unjittered model.
  const predictedTtft = profile.ttftMs + (promptTokens / profile.prefillTokensPerSec) * 1000;
  const predictedTotal =
    predictedTtft + (profile.outputTokens - 1) * (1000 / profile.decodeTokensPerSec);
  const row = (name: string, xs: number[], predicted: number) => [
    name,
    fmt(predicted),
    fmt(median(xs)),
    fmt(pct(xs, 0.1)),
    fmt(pct(xs, 0.9)),
    `${fmt(((median(xs) - predicted) / predicted) * 100, 2)}%`,
  ];
  console.log(
    `(a) fidelity: ${calls} streaming calls (after ${warmUp} warm-up), ${concurrency} concurrent, prompt ${promptTokens} tokens, ` +
      `${profile.outputTokens} output tokens, ttft ${profile.ttftMs} ms, prefill ` +
      `${profile.prefillTokensPerSec} tok/s, decode ${profile.decodeTokensPerSec} tok/s, jitter 0.1`,
  );
  return [
    ['metric', 'predicted ms', 'median ms', 'p10 ms', 'p90 ms', 'median error'],
    row('TTFT', ttfts, predictedTtft),
    row('total', totals, predictedTotal),
  ];
}

const LOADGEN = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, concurrency, durationMs } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 16 });
const target = new URL(url);
let done = 0, errors = 0, stop = false;
const one = () => new Promise((resolve) => {
  const req = http.request({ agent, host: target.hostname, port: target.port, path: target.pathname,
    method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
    (res) => { res.on('data', () => {}); res.on('end', () => { if (res.statusCode === 200) done++; else errors++; resolve(); }); });
  req.on('error', () => { errors++; resolve(); });
  req.end(body);
});
const loop = async () => { while (!stop) await one(); };
const start = performance.now();
setTimeout(() => { stop = true; }, durationMs);
Promise.all(Array.from({ length: concurrency }, loop)).then(() => {
  parentPort.postMessage({ done, errors, seconds: (performance.now() - start) / 1000 });
  agent.destroy();
});
`;

async function throughput(): Promise<string[][]> {
  const server = await startMockServer({
    seed: 1,
    endpoints: [{ id: 'fast', model: 'm', contextWindow: 8192, outputTokens: 16 }],
  });
  const endpoint = server.endpoints[0];
  if (!endpoint) throw new Error('no endpoint');
  const url = `${endpoint.baseURL}/chat/completions`;
  const concurrency = 64;
  const durationMs = 5000;
  const rows = [['load generator', 'calls', 'errors', 'seconds', 'calls/s']];

  // Warm-up, then the worker-thread run.
  const runWorker = (ms: number) =>
    new Promise<{ done: number; errors: number; seconds: number }>((resolve, reject) => {
      const worker = new Worker(LOADGEN, {
        eval: true,
        workerData: { url, concurrency, durationMs: ms },
      });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  await runWorker(1000);
  const w = await runWorker(durationMs);
  rows.push([
    `worker thread, node:http keep-alive, ${concurrency} in flight`,
    String(w.done),
    String(w.errors),
    fmt(w.seconds, 2),
    fmt(w.done / w.seconds, 0),
  ]);

  // Same thread: fetch (undici) shares the event loop with the mock.
  const body = JSON.stringify({
    model: 'm',
    messages: [{ role: 'user', content: 'Hello there' }],
    max_tokens: 16,
  });
  let done = 0;
  let errors = 0;
  let stop = false;
  const loop = async (): Promise<void> => {
    while (!stop) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await response.arrayBuffer();
      if (response.status === 200) done++;
      else errors++;
    }
  };
  const start = performance.now();
  setTimeout(() => {
    stop = true;
  }, durationMs);
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = (performance.now() - start) / 1000;
  rows.push([
    `same thread, fetch keep-alive, ${concurrency} in flight`,
    String(done),
    String(errors),
    fmt(seconds, 2),
    fmt(done / seconds, 0),
  ]);
  const stats = endpoint.stats();
  await server.close();
  console.log(
    `(b) throughput: zero-latency profile, non-streaming, 16 output tokens, ${durationMs / 1000} s per run ` +
      `(mock counted ${stats.completed} completed, ${stats.failed} failed incl. warm-up)`,
  );
  return rows;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(rows[0] ?? []),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

console.log(
  `tiered-mock bench — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'})\n`,
);
const a = await fidelity();
console.log(`${table(a)}\n`);
const b = await throughput();
console.log(table(b));
