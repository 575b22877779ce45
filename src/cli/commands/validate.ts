/** `berth validate [FILE]` and `berth schema`: check a berth.yaml locally; print its JSON Schema. */
import type { Command } from 'commander';
import { resolveSpecFile } from '../specInput.js';
import { contextOf } from '../context.js';
import { green, printJSON } from '../output.js';

export function registerValidate(program: Command): void {
  program
    .command('validate [file]')
    .description('check a berth.yaml (or an app folder) and list every problem as file:line:col field: message')
    .action(async (file: string | undefined, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { loadSpec } = await import('../../spec/load.js');
      const loaded = await loadSpec(await resolveSpecFile(file));
      if (ctx.output === 'json')
        printJSON({
          ok: true,
          app: loaded.spec.name,
          services: Object.keys(loaded.spec.services),
          digest: loaded.digest,
        });
      else
        process.stdout.write(
          `${green('✓')} ${loaded.file}: app ${loaded.spec.name}, ${Object.keys(loaded.spec.services).length} services, no problems\n`,
        );
    });

  program
    .command('schema')
    .description('print the JSON Schema of berth.yaml (for editor completion)')
    .action(async () => printJSON((await import('../../spec/jsonschema.js')).specJSONSchema()));
}
