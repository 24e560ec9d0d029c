#!/usr/bin/env node
// In the repo, runs the TypeScript source through tsx, so the CLI and its tests never run a stale
// dist/ left by an earlier build. Published, src/ is not shipped (package.json `files`), so it runs
// the built dist/cli.js.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli.js', import.meta.url).href);
}
