// What the render benchmarks that drive control planes share: this checkout's root and render.mjs's
// generated app (its berth.yaml only: SPEC_ONLY), written to a folder of its own.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The path of a new copy of render.mjs's generated berth.yaml (SERVICES as render.mjs reads it). */
export function generatedSpec() {
  return execFileSync(process.execPath, [join(root, 'bench/render.mjs')], {
    env: { ...process.env, SPEC_ONLY: '1' },
  })
    .toString()
    .trim();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The closing line of a report: Node's version and the machine's load. */
export function loadLine() {
  return `  (Node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')})`;
}
