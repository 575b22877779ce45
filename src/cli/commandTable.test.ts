import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, badGlobalOption, commandName, normalizedArgs, registrationsFor } from './commandTable.js';

const registered = (registers: ((p: Command) => void)[]): string[] => {
  const program = new Command('berth');
  for (const r of registers) r(program);
  return program.commands.map((c) => c.name());
};

describe('commandName', () => {
  it('is the first operand, after global options and their values', () => {
    expect(commandName(['render', '.', '-o', 'yaml'])).toBe('render');
    expect(commandName(['--home', '/tmp/h', '-o', 'json', 'status', 'shop'])).toBe('status');
    expect(commandName(['--server', 'http://x', '--token', 't', 'config', 'set', 'A=1'])).toBe('config');
    expect(commandName(['--home=/tmp/h', '-ojson', 'logs', 'web'])).toBe('logs');
    expect(commandName(['--', 'deploy'])).toBe('deploy');
  });

  it('is undefined without an operand', () => {
    expect(commandName([])).toBeUndefined();
    expect(commandName(['--help'])).toBeUndefined();
    expect(commandName(['-o', 'json'])).toBeUndefined();
  });
});

describe('registrationsFor', () => {
  it('each file registers exactly the commands the table names for it', async () => {
    for (const c of COMMANDS) expect(registered([await c.load()])).toEqual(c.names);
  });

  it('loads only the named command file', async () => {
    expect(registered(await registrationsFor(['render', '.', '--offline']))).toEqual(['render']);
    expect(registered(await registrationsFor(['-o', 'json', 'diff', 'shop', '1', '2']))).toEqual([
      'history',
      'releases',
      'diff',
      'rollback',
    ]);
  });

  it('loads every command, in help order, for help, no command or an unknown one', async () => {
    const all = COMMANDS.flatMap((c) => c.names);
    expect(new Set(all).size).toBe(all.length);
    expect(registered(await registrationsFor([]))).toEqual(all);
    expect(registered(await registrationsFor(['help', 'render']))).toEqual(all);
    expect(registered(await registrationsFor(['rendr']))).toEqual(all);
  });

  it('loads every command when a global option is bad, so the help commander prints is whole', async () => {
    const all = COMMANDS.flatMap((c) => c.names);
    expect(registered(await registrationsFor(['--bogus', 'status']))).toEqual(all);
    expect(registered(await registrationsFor(['-o', 'xml', 'status']))).toEqual(all);
    expect(registered(await registrationsFor(['status', '--output=xml']))).toEqual(all);
    expect(registered(await registrationsFor(['status', '-o']))).toEqual(all);
    // A bad option after the command is that command's: its own help is the right one.
    expect(registered(await registrationsFor(['status', '--bogus']))).toEqual(['status']);
  });

  it('tells good global options from bad ones', () => {
    expect(
      badGlobalOption(['--home', '/h', '--server=http://x', '-ojson', '--token', 't', 'status', '-o', 'yaml']),
    ).toBe(false);
    expect(badGlobalOption(['-V'])).toBe(false);
    expect(badGlobalOption(['status', 'shop', '--replicas'])).toBe(false);
    expect(badGlobalOption(['--hme', '/h', 'status'])).toBe(true);
    expect(badGlobalOption(['-oxml', 'status'])).toBe(true);
    expect(badGlobalOption(['import', 'c.yml', '--', '-o', 'x'])).toBe(false);
  });

  it('loads no command for --version alone, and the named one when there is one', async () => {
    expect(await registrationsFor(['--version'])).toEqual([]);
    expect(await registrationsFor(['-V'])).toEqual([]);
    expect(registered(await registrationsFor(['render', '--version']))).toEqual(['render']);
  });
});

describe('normalizedArgs', () => {
  it('reads `berth import FILE -o berth.yaml` as the file to write, and -o FORMAT as the format', () => {
    expect(normalizedArgs(['import', 'compose.yml', '-o', 'out/berth.yaml'])).toEqual([
      'import',
      'compose.yml',
      '--out',
      'out/berth.yaml',
    ]);
    expect(normalizedArgs(['import', 'compose.yml', '--output=b.yaml', '-o', 'json'])).toEqual([
      'import',
      'compose.yml',
      '--out',
      'b.yaml',
      '-o',
      'json',
    ]);
    expect(normalizedArgs(['-o', 'json', 'import', 'c.yml', '-ob.yaml'])).toEqual([
      '-o',
      'json',
      'import',
      'c.yml',
      '--out',
      'b.yaml',
    ]);
    expect(normalizedArgs(['import', 'c.yml', '--', '-o', 'x'])).toEqual(['import', 'c.yml', '--', '-o', 'x']);
  });

  it('leaves every other command as it is (-o stays the output format, and a bad one is refused there)', () => {
    expect(normalizedArgs(['render', '.', '-o', 'berth.yaml'])).toEqual(['render', '.', '-o', 'berth.yaml']);
    expect(normalizedArgs(['status', '-o', 'json'])).toEqual(['status', '-o', 'json']);
  });
});
