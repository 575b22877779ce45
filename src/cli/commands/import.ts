/** `berth import COMPOSE_FILE`: docker-compose → berth.yaml and a config-set script, with a report of every key. */
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ConflictError } from '../../errors.js';
import { contextOf } from '../context.js';
import { bold, dim, printData, printTable } from '../output.js';

interface ImportFlags {
  out?: string;
  configOut?: string;
  envFile?: string;
  app?: string;
  liveness?: boolean;
  defaults?: boolean;
  force?: boolean;
  dryRun?: boolean;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export function registerImport(program: Command): void {
  program
    .command('import <compose-file>')
    .description(
      'make a berth.yaml from a docker-compose file, and a config-set script (berth.config.sh) from its environment; reports every key mapped, changed or not mapped',
    )
    .option('--out <file>', 'where to write berth.yaml (also -o <file>; default: berth.yaml beside the compose file)')
    .option('--config-out <file>', 'where to write the config-set script (default: berth.config.sh beside berth.yaml)')
    .option('--env-file <file>', 'values for ${VAR} in the compose file (default: .env beside it, if any)')
    .option('--app <name>', "app name (default: the compose file's `name`, else its folder)")
    .option('--liveness', 'also turn healthchecks into liveness probes (Berth restarts replicas that fail them)')
    .option('--defaults', 'write non-secret values as variable defaults in berth.yaml instead of the config set')
    .option('--force', 'overwrite existing output files')
    .option('--dry-run', 'print the report only; write nothing')
    .action(async (composeFile: string, o: ImportFlags, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { importCompose } = await import('../../import/importCompose.js');
      const { summarize } = await import('../../import/report.js');
      const out = path.resolve(o.out ?? path.join(path.dirname(path.resolve(composeFile)), 'berth.yaml'));
      const configOut = path.resolve(o.configOut ?? path.join(path.dirname(out), 'berth.config.sh'));
      const result = await importCompose({
        file: composeFile,
        outFile: out,
        ...(o.envFile ? { envFile: o.envFile } : {}),
        ...(o.app ? { app: o.app } : {}),
        liveness: o.liveness ?? false,
        defaults: o.defaults ?? false,
      });
      if (!o.dryRun) {
        const targets = [out, ...(result.configScript ? [configOut] : [])];
        for (const t of targets)
          if (!o.force && (await exists(t)))
            throw new ConflictError(
              `${t} already exists (pass --force to overwrite it, or -o/--out to write elsewhere)`,
            );
        // The folders named by --out / --config-out are made when missing (`-o app/berth.yaml`).
        for (const t of targets) await mkdir(path.dirname(t), { recursive: true });
        await writeFile(out, result.specText);
        if (result.configScript) {
          // It may hold secret values: readable by its owner only.
          await writeFile(configOut, result.configScript, { mode: 0o600 });
          await chmod(configOut, 0o600);
        }
      }
      const summary = summarize(result.report);
      if (ctx.output !== 'table')
        return printData(ctx.output, {
          app: result.app,
          file: path.resolve(composeFile),
          out: o.dryRun ? null : out,
          configOut: o.dryRun || !result.configScript ? null : configOut,
          services: Object.keys(result.spec.spec.services),
          variables: result.variables.map((v) => ({
            name: v.name,
            secret: v.secret,
            hasValue: v.value !== undefined,
            services: v.services,
          })),
          summary,
          entries: result.report,
        });
      const n = Object.keys(result.spec.spec.services).length;
      process.stdout.write(`${bold(`${composeFile} → app ${result.app}`)}, ${n} service${n === 1 ? '' : 's'}\n`);
      printTable(
        result.report.map((e) => ({
          at: e.line === undefined ? '' : `${e.line}:${e.column}`,
          status: e.status,
          key: e.key,
          to: e.to ?? '',
          why: e.reason,
        })),
        ['at', 'status', 'key', 'to', 'why'],
      );
      process.stdout.write(
        `${summary.mapped} mapped, ${summary.changed} changed, ${summary.unmapped} not mapped, ${summary.ignored} ignored\n`,
      );
      if (o.dryRun) return void process.stdout.write(dim('dry run: nothing written\n'));
      process.stdout.write(`wrote ${out}\n`);
      if (result.configScript) {
        const secrets = result.variables.filter((v) => v.secret).length;
        process.stdout.write(
          `wrote ${configOut}: apply the config with \`sh ${path.relative(process.cwd(), configOut) || configOut} --env <env>\`${secrets ? ` (it holds ${secrets} secret value${secrets === 1 ? '' : 's'}: delete it once applied)` : ''}\n`,
        );
      }
    });
}
