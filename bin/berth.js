#!/usr/bin/env node
// The `berth` command. Runs the compiled CLI (built by `npm install` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('berth: the CLI is not built yet; run `npm install` (or `npm run build`) in the berth folder first.\n');
  process.exit(1);
}
await import(entry.href);
