/** `berth validate [FILE]` and `berth schema`: check a berth.yaml locally; print its JSON Schema. */
import type { Command } from 'commander';
import { resolveSpecFile } from '../specInput.js';
import { contextOf } from '../context.js';
import { green, printData, printJSON } from '../output.js';

export function registerValidate(program: Command): void {
  program
    .command('validate [file]')
    .description('check a berth.yaml (or an app folder) and list every problem as file:line:col field: message')
    .action(async (file: string | undefined, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { loadSpec } = await import('../../spec/load.js');
      const loaded = await loadSpec(await resolveSpecFile(file));
      const services = Object.keys(loaded.spec.services);
      if (ctx.output !== 'table')
        return printData(ctx.output, { ok: true, app: loaded.spec.name, services, digest: loaded.digest });
      process.stdout.write(
        `${green('✓')} ${loaded.file}: app ${loaded.spec.name}, ${services.length} service${services.length === 1 ? '' : 's'}, no problems\n`,
      );
    });

  program
    .command('schema')
    .description('print the JSON Schema of berth.yaml (for editor completion; -o yaml prints it as YAML)')
    .action(async (_o: unknown, cmd: Command) => {
      const schema = (await import('../../spec/jsonschema.js')).specJSONSchema();
      const { output } = contextOf(cmd);
      return output === 'yaml' ? printData(output, schema) : printJSON(schema);
    });
}
