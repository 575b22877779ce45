/**
 * `berth render` against the control plane before the CLI loads (renderFast.ts, for bin/berth.js):
 * the control plane's YAML streamed to stdout. Its own module so that an offline render loads none of
 * the client (node:http...). Also the request body the CLI sends (commands/render.ts).
 */
import { pipeline } from 'node:stream/promises';
import { createClient } from './client.js';
import { resolveHome } from './context.js';
import { readSpecInput, type SpecInput } from './specInput.js';
import type { SnapshotOptions } from './renderSnapshotFile.js';

/** The body of POST /api/v1/render for `spec` with `o` (commands/render.ts sends the same). */
export function renderBody(
  spec: SpecInput,
  o: SnapshotOptions & { configVersion?: number; commit?: string },
  format: string,
): Record<string, unknown> {
  return {
    env: o.env,
    spec,
    format,
    kubernetesVersion: o.kubernetesVersion,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.ingressClass ? { ingressClassName: o.ingressClass } : {}),
    ...(o.configVersion === undefined ? {} : { configVersion: o.configVersion }),
    ...(o.commit === undefined ? {} : { commit: o.commit }),
  };
}

/** Streams the control plane's YAML render of the spec in `dir` to stdout; false: let the CLI run. */
export async function renderByControlPlane(dir: string, options: SnapshotOptions): Promise<boolean> {
  const format = 'yaml';
  let res;
  try {
    const spec = await readSpecInput(dir);
    const client = await createClient({ home: resolveHome() });
    res = await client.postFor('/api/v1/render', renderBody(spec, options, format), 'application/yaml');
  } catch {
    return false;
  }
  if (!res.headers['content-type']?.startsWith('application/yaml')) {
    res.resume(); // a control plane from before YAML answers: the CLI reads its JSON
    return false;
  }
  // A reader that stops early (`| head`) closes the pipe: the output ends, as in the CLI (main.ts).
  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
  try {
    await pipeline(res, process.stdout, { end: false });
  } catch (err) {
    // Part of the output may be out: no second render by the CLI, the failure is said here.
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
  return true;
}
