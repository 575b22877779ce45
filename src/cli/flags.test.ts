import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { versionNumber } from './flags.js';

describe('versionNumber', () => {
  it('takes whole numbers, 0 included', () => {
    expect(versionNumber('0')).toBe(0);
    expect(versionNumber('12')).toBe(12);
  });

  it('refuses anything else with the flag named by commander (it was sent on as null or NaN)', () => {
    const program = new Command('berth').exitOverride().configureOutput({ writeErr: () => undefined });
    program
      .command('render')
      .option('--config-version <n>', 'config version', versionNumber)
      .action(() => undefined);
    for (const bad of ['abc', '-1', '1.5', '3x', ''])
      expect(() => program.parse(['render', '--config-version', bad], { from: 'user' })).toThrow(
        `option '--config-version <n>' argument '${bad}' is invalid. expected a whole number such as 3.`,
      );
  });
});
