/** Berth's version and the Node.js versions it supports, from package.json. */
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
  engines: { node: string };
};

export const version: string = manifest.version;

/** package.json's `engines.node`: the Node.js lines the control plane runs on (e.g. `^20.19.0 || ^22.13.0`). */
export const supportedNode: string = manifest.engines.node;
