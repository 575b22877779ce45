/** The `berth` command line: one command per file under commands/. */
import { Command, Option } from 'commander';
import { version } from '../version.js';
import { printError, type OutputFormat } from './output.js';
import { registerServer } from './commands/server.js';
import { registerValidate } from './commands/validate.js';
import { registerDeploy } from './commands/deploy.js';
import { registerReleases } from './commands/releases.js';
import { registerStatus } from './commands/status.js';
import { registerLogs } from './commands/logs.js';
import { registerConfig } from './commands/config.js';
import { registerEnv } from './commands/env.js';
import { registerUp } from './commands/up.js';
import { registerImport } from './commands/import.js';
import { registerOperate } from './commands/operate.js';
import { registerRender } from './commands/render.js';
import { registerExport } from './commands/export.js';

const program = new Command('berth')
  .version(version)
  .description('Berth: describe an app once, keep versioned config per environment, release it safely.')
  .option('--home <dir>', 'data directory (BERTH_HOME, default ~/.berth)')
  .option(
    '--server <url>',
    'control plane URL (BERTH_SERVER; default from the data directory, then http://127.0.0.1:7420)',
  )
  .option('--token <token>', 'API token (BERTH_TOKEN; default <home>/token)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
  .showHelpAfterError()
  .showSuggestionAfterError();

registerUp(program);
registerDeploy(program);
registerReleases(program);
registerStatus(program);
registerOperate(program);
registerLogs(program);
registerConfig(program);
registerEnv(program);
registerValidate(program);
registerRender(program);
registerExport(program);
registerImport(program);
registerServer(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const output = (program.opts<{ output?: OutputFormat }>().output ?? 'table') as OutputFormat;
  process.exitCode = printError(err, output);
}
