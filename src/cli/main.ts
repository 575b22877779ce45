/**
 * The `berth` command line: one command per file under commands/, loaded only when it runs.
 *
 * bin/berth.js runs it as one bundled CommonJS file (dist/cli/berth.cjs, with commander inside; see
 * scripts/bundleCli.mjs): so no top-level await here.
 */
import { Command, Option } from 'commander';
import { version } from '../version.js';
import { OUTPUT_FORMATS, printError, type OutputFormat } from './output.js';
import { normalizedArgs, registrationsFor } from './commandTable.js';

const program = new Command('berth')
  .version(version)
  .description('Berth: describe an app once, keep versioned config per environment, release it safely.')
  .option('--home <dir>', 'data directory (BERTH_HOME, default ~/.berth)')
  .option(
    '--server <url>',
    'control plane URL (BERTH_SERVER; default from the data directory, then http://127.0.0.1:7420)',
  )
  .option('--token <token>', 'API token (BERTH_TOKEN; default: `berth login`’s for this server, then <home>/token)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
  .showHelpAfterError()
  .showSuggestionAfterError();

// A reader that stops early (`berth render | head`) closes the pipe: that ends the output, it is no
// error to report (nor a crash of an unhandled 'error' event).
const closedPipe = (err: unknown): boolean => (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
process.stdout.on('error', (err) => {
  if (!closedPipe(err)) throw err;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

async function main(): Promise<void> {
  try {
    const args = normalizedArgs(process.argv.slice(2));
    for (const register of await registrationsFor(args)) register(program);
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (closedPipe(err)) process.exit(0);
    const output = program.opts<{ output?: OutputFormat }>().output ?? 'table';
    process.exitCode = printError(err, output);
  }
}

void main();
