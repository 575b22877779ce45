/**
 * `berth render --offline` without the CLI's own start: bin/berth.js calls this before it loads the
 * CLI bundle (commander, the command table, every command's options), when the command line reads
 * `render ... --offline`. A short command's time is mostly start-up, so the render from the startup
 * snapshot begins as soon as Node does (docs/benchmarks.md, render).
 *
 * Only a command line made of the options below is read here, as the CLI reads it; anything else
 * (another option, `--opt=value`, a value that looks like an option, help), a spec file that is not
 * there, no snapshot for this Node, or a render that fails, returns false and the CLI runs as always:
 * it renders again and reports the problem in its own words, so errors read exactly the same.
 * scripts/bundleCli.mjs bundles this module alone into dist/cli/renderFast.cjs (no npm package).
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DEFAULT_KUBERNETES_VERSION,
  renderInSnapshot,
  snapshotRequest,
  type SnapshotOptions,
} from './renderSnapshotFile.js';

/** Options that take a value, by every name the CLI gives them (commands/render.ts, main.ts). */
const VALUE_OPTIONS: Readonly<Record<string, keyof SnapshotOptions | 'output'>> = {
  '-o': 'output',
  '--output': 'output',
  '-e': 'env',
  '--env': 'env',
  '-n': 'namespace',
  '--namespace': 'namespace',
  '--kubernetes-version': 'kubernetesVersion',
  '--ingress-class': 'ingressClass',
};

/** Output formats of the CLI read here: JSON is printed as JSON, the others as YAML (commands/render.ts). */
const FORMATS = new Set(['table', 'json', 'yaml']);

interface FastArgs {
  dir: string;
  output: string;
  options: SnapshotOptions;
}

/** `args` (after `berth`) as the CLI would read them, or undefined when they are not a plain offline render. */
export function fastRenderArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): FastArgs | undefined {
  if (args[0] !== 'render') return undefined;
  const values: Partial<Record<keyof SnapshotOptions | 'output', string>> = {};
  let dir: string | undefined;
  let offline = false;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    const name = Object.hasOwn(VALUE_OPTIONS, arg) ? VALUE_OPTIONS[arg] : undefined;
    if (arg === '--offline') offline = true;
    else if (name !== undefined) {
      const value = args[++i];
      if (value === undefined || value.startsWith('-')) return undefined;
      values[name] = value;
    } else if (arg.startsWith('-') || dir !== undefined) return undefined;
    else dir = arg;
  }
  const output = values.output ?? 'table';
  if (!offline || !FORMATS.has(output)) return undefined;
  return {
    dir: dir ?? '.',
    output,
    options: {
      env: values.env ?? env.BERTH_ENV ?? 'local',
      kubernetesVersion: values.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
      ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
      ...(values.ingressClass === undefined ? {} : { ingressClass: values.ingressClass }),
    },
  };
}

/** The berth.yaml a render of `dir` reads (a folder means its berth.yaml), or undefined when it is not a file. */
function specFile(dir: string): string | undefined {
  try {
    const path = resolve(dir);
    const file = statSync(path).isDirectory() ? join(path, 'berth.yaml') : path;
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Renders `args` from the startup snapshot in the CLI folder `cliDir`; false: let the CLI run. */
export function renderOfflineFast(args: readonly string[], cliDir: string): boolean {
  const read = fastRenderArgs(args);
  const file = read && specFile(read.dir);
  if (!read || file === undefined) return false;
  const format = read.output === 'json' ? 'json' : 'yaml';
  return renderInSnapshot(snapshotRequest(file, read.options, format), cliDir) === 'done';
}
