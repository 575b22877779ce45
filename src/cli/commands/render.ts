/** `berth render`: the Kubernetes objects of an app in an environment, validated, secrets masked. */
import type { Command } from 'commander';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { fromErrorJSON, type ErrorJSON } from '../../errors.js';
import { versionNumber } from '../flags.js';
import { contextOf } from '../context.js';
import { readSpecInput } from '../specInput.js';
import { envOption } from '../envOption.js';
import { loadBundle } from '../codeCache.js';
import { DEFAULT_KUBERNETES_VERSION, renderInSnapshot, snapshotRequest } from '../renderSnapshotFile.js';
import { renderBody } from '../renderRemote.js';
import type * as OfflineModule from './renderOffline.js';

interface RenderOptions {
  env: string;
  namespace?: string;
  kubernetesVersion?: string;
  ingressClass?: string;
  configVersion?: number;
  commit?: string;
  offline?: boolean;
}

interface Rendered {
  yaml?: string;
  objects?: unknown[];
}

export function registerRender(program: Command): void {
  program
    .command('render [dir]')
    .description('print the Kubernetes objects of an app in an environment (-o yaml, the default, or -o json)')
    .addOption(envOption())
    .option(
      '-n, --namespace <namespace>',
      'namespace when the environment does not target Kubernetes (default: env name)',
    )
    .option(
      '--kubernetes-version <version>',
      'Kubernetes version to render and validate for (1.23 to 1.33)',
      DEFAULT_KUBERNETES_VERSION,
    )
    .option('--ingress-class <class>', 'ingress class of the routes')
    .option('--config-version <n>', 'config version to render (default: current)', versionNumber)
    .option(
      '--commit <commit>',
      'services with `build:` are rendered with their build of this commit (default: the newest)',
    )
    .option('--offline', 'render without a control plane: berth.yaml defaults only, no config set, no builds')
    .action(async (dir: string | undefined, o: RenderOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      const format = ctx.output === 'json' ? 'json' : 'yaml';
      const spec = await readSpecInput(dir);
      if (o.offline && renderFromSnapshot(spec.file, o, format)) return;
      const body = renderBody(spec, o, format);
      if (!o.offline && format === 'yaml') {
        // The YAML text itself, streamed through: no JSON around ~1 MB of it to encode and decode.
        const res = await (await ctx.client()).postFor('/api/v1/render', body, 'application/yaml');
        if (res.headers['content-type']?.startsWith('application/yaml')) {
          await pipeline(res, process.stdout, { end: false });
          return;
        }
        // A control plane from before YAML answers: JSON with the text in `yaml`.
        let text = '';
        for await (const chunk of res) text += String(chunk);
        process.stdout.write((JSON.parse(text) as Rendered).yaml ?? '');
        return;
      }
      const res = o.offline
        ? await renderOffline(spec, o, format)
        : await (await ctx.client()).post<Rendered>('/api/v1/render', body);
      process.stdout.write(format === 'yaml' ? (res.yaml ?? '') : `${JSON.stringify(res.objects, null, 2)}\n`);
    });
}

/**
 * The offline render in a Node process started from its V8 startup snapshot (commands/renderSnapshot.ts),
 * which prints the output itself; false when this Node has no snapshot or could not start from it
 * (another build of the same version): the render then runs in this process.
 */
function renderFromSnapshot(file: string, o: RenderOptions, format: string): boolean {
  const outcome = renderInSnapshot(snapshotRequest(file, o, format), fileURLToPath(new URL('..', import.meta.url)));
  if (typeof outcome === 'object') throw fromErrorJSON(outcome.error as ErrorJSON);
  return outcome === 'done';
}

/** The offline render: from its bundle (dist/cli/renderOffline.cjs) when there is one, else its modules. */
async function renderOffline(
  spec: { file: string; text: string },
  o: RenderOptions,
  format: string,
): Promise<Rendered> {
  const bundled = loadBundle<typeof OfflineModule>(new URL('../renderOffline.cjs', import.meta.url));
  return (bundled ?? (await import('./renderOffline.js'))).renderOffline(spec, o, format);
}
