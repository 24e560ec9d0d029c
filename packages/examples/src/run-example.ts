import { examples } from './examples/example-registry.js';
import { NO_REDIS } from './fleet/local-redis.js';

// `pnpm --filter @tiered/examples example NAME`: runs one example; lists them for no or a bad name.
const name = process.argv[2];
const example = name === undefined ? undefined : examples[name];
if (!example) {
  const width = Math.max(...Object.keys(examples).map((n) => n.length));
  const list = Object.entries(examples)
    .map(([n, e]) => `  ${n.padEnd(width)}  ${e.summary}`)
    .join('\n');
  process.stderr.write(
    `${name === undefined ? 'Which example?' : `Unknown example "${name}".`} Run one with:\n` +
      `  pnpm --filter @tiered/examples example NAME\n\nExamples:\n${list}\n`,
  );
  process.exit(2);
}
console.log(`▶ ${name}: ${example.summary}\n`);
try {
  await example.run();
} catch (error) {
  // A missing prerequisite is a message, not a stack trace.
  if ((error as Error)?.message !== NO_REDIS) throw error;
  process.stderr.write(`${NO_REDIS}\n`);
  process.exit(2);
}
