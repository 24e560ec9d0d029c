// Entry point of the `tiered-mock` binary (see bin/tiered-mock.js). Kept apart from run-cli.ts so
// that importing the CLI logic (tests) never installs signal handlers or exits the process.
import { runCli } from './run-cli.js';

const stopped = new Promise((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});

const status = await runCli(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  stopped,
});
process.exitCode = status;
// Leave nothing running: a usage error exits before any listener was opened anyway.
if (status !== 0) process.exit(status);
