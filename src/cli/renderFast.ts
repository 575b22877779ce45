/**
 * `berth render` without the CLI's own start: bin/berth.js calls this before it loads the CLI bundle
 * (commander, the command table, every command's options) when the command line begins with
 * `render`. A short command's time is mostly start-up, so the render begins as soon as Node does:
 * `--offline` from the startup snapshot, else the control plane's YAML streamed to stdout
 * (docs/benchmarks.md, render).
 *
 * Only a command line made of the options below is read here, as the CLI reads it; anything else
 * (another option, `--opt=value`, a value that looks like an option, help, JSON from a control plane),
 * a spec file that is not there, no snapshot for this Node, or a render that fails before any output,
 * returns false and the CLI runs as always: it renders again and reports the problem in its own words,
 * so errors read exactly the same. scripts/bundleCli.mjs bundles this module with the few it imports
 * (the client, no npm package) into dist/cli/renderFast.cjs.
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
  offline: boolean;
  options: SnapshotOptions;
}

/** `args` (after `berth`) as the CLI would read them, or undefined when they are not a plain render. */
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
  if (!FORMATS.has(output)) return undefined;
  return {
    dir: dir ?? '.',
    output,
    offline,
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

/** Renders `args` from the startup snapshot in the CLI folder `cliDir`, or by the control plane; false: let the CLI run. */
export async function renderFast(args: readonly string[], cliDir: string): Promise<boolean> {
  const read = fastRenderArgs(args);
  if (!read) return false;
  const format = read.output === 'json' ? 'json' : 'yaml';
  if (read.offline) {
    const file = specFile(read.dir);
    return file !== undefined && renderInSnapshot(snapshotRequest(file, read.options, format), cliDir) === 'done';
  }
  if (format !== 'yaml') return false;
  // The client (node:http and the rest) is loaded only here: an offline render does not need it.
  const { renderByControlPlane } = await import('./renderRemote.js');
  return renderByControlPlane(read.dir, read.options);
}
