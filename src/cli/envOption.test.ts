import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { envOption } from './envOption.js';

function parse(option: () => ReturnType<typeof envOption>, argv: string[]): unknown {
  const program = new Command('berth').exitOverride();
  let env: unknown;
  program
    .command('status')
    .addOption(option())
    .action((opts: { env?: string }) => {
      env = opts.env;
    });
  program.parse(['status', ...argv], { from: 'user' });
  return env;
}

describe('envOption', () => {
  const saved = process.env.BERTH_ENV;
  afterEach(() => {
    if (saved === undefined) delete process.env.BERTH_ENV;
    else process.env.BERTH_ENV = saved;
  });

  it('takes -e and --env, else $BERTH_ENV, else local', () => {
    delete process.env.BERTH_ENV;
    expect(parse(() => envOption(), [])).toBe('local');
    expect(parse(() => envOption(), ['-e', 'prod'])).toBe('prod');
    expect(parse(() => envOption(), ['--env', 'staging'])).toBe('staging');
    process.env.BERTH_ENV = 'qa';
    expect(parse(() => envOption(), [])).toBe('qa');
    expect(parse(() => envOption(), ['-e', 'prod'])).toBe('prod');
  });

  it('keeps a fixed default, or none', () => {
    process.env.BERTH_ENV = 'qa';
    expect(parse(() => envOption('environment', 'local'), [])).toBe('local');
    expect(parse(() => envOption('only this environment', null), [])).toBeUndefined();
  });

  it('shows its help and default as the commands always did', () => {
    delete process.env.BERTH_ENV;
    const program = new Command('berth');
    const help = program.command('status').addOption(envOption()).helpInformation();
    expect(help).toContain('-e, --env <env>  environment (default: "local")');
  });
});
