/**
 * `berth render`'s command line read as the CLI reads it (commands/render.ts, main.ts), without the CLI:
 * by bin/berth.js's render module (renderFast.ts) and by the offline render's snapshot when the `berth`
 * command starts it directly (bin/berth, commands/renderSnapshot.ts). Only Node built-ins: both are
 * bundles that must load fast, the snapshot's without the client.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DEFAULT_KUBERNETES_VERSION,
  snapshotRequest,
  type SnapshotOptions,
  type SnapshotRequest,
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

export interface FastArgs {
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

/** The snapshot's request for `args` when they are a plain offline render of a spec file that is there. */
export function fastRenderRequest(args: readonly string[]): SnapshotRequest | undefined {
  const read = fastRenderArgs(args);
  const file = read?.offline ? specFile(read.dir) : undefined;
  return file === undefined ? undefined : snapshotRequest(file, read!.options, formatOf(read!.output));
}

export const formatOf = (output: string): string => (output === 'json' ? 'json' : 'yaml');
