/** `berth export --format helm DIR`: a Helm chart of an app in an environment, written to DIR. */
import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { versionNumber } from '../flags.js';
import { contextOf } from '../context.js';
import { readSpecInput } from '../specInput.js';
import { printData } from '../output.js';
import { ValidationError } from '../../errors.js';
import { envOption } from '../envOption.js';

export function registerExport(program: Command): void {
  program
    .command('export <dir>')
    .description('write a Helm chart of the app (values from the config set; secrets required at install time)')
    .addOption(envOption())
    .option('--format <format>', 'export format (helm)', 'helm')
    .option('-f, --file <path>', 'berth.yaml or its folder', '.')
    .option(
      '-n, --namespace <namespace>',
      'namespace when the environment does not target Kubernetes (default: env name)',
    )
    .option('--kubernetes-version <version>', 'Kubernetes version to render and validate for', '1.30')
    .option('--ingress-class <class>', 'ingress class of the routes')
    .option('--config-version <n>', 'config version to export (default: current)', versionNumber)
    .action(
      async (
        dir: string,
        o: {
          env: string;
          format: string;
          file: string;
          namespace?: string;
          kubernetesVersion?: string;
          ingressClass?: string;
          configVersion?: number;
        },
        cmd: Command,
      ) => {
        if (o.format !== 'helm')
          throw new ValidationError(`unknown export format ${o.format}`, [
            { file: 'command line', path: 'format', message: 'the only format is `helm`' },
          ]);
        const ctx = contextOf(cmd);
        const client = await ctx.client();
        const res = await client.post<{ chart: string; namespace: string; files: Record<string, string> }>(
          '/api/v1/export/helm',
          {
            env: o.env,
            spec: await readSpecInput(o.file),
            kubernetesVersion: o.kubernetesVersion,
            ...(o.namespace ? { namespace: o.namespace } : {}),
            ...(o.ingressClass ? { ingressClassName: o.ingressClass } : {}),
            ...(o.configVersion === undefined ? {} : { configVersion: o.configVersion }),
          },
        );
        const root = resolve(dir);
        for (const [path, content] of Object.entries(res.files)) {
          await mkdir(dirname(join(root, path)), { recursive: true });
          await writeFile(join(root, path), content);
        }
        if (ctx.output !== 'table')
          return printData(ctx.output, { dir: root, chart: res.chart, files: Object.keys(res.files) });
        process.stdout.write(
          `wrote Helm chart ${res.chart} to ${root} (${Object.keys(res.files).length} files)\n` +
            `install: helm install ${res.chart} ${root} --namespace ${res.namespace} --set secrets.NAME=... (see values.yaml)\n`,
        );
      },
    );
}
