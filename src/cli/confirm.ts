/**
 * Asking before something that cannot be undone (deleting a volume's data): on a terminal the user
 * answers y; anywhere else (a script, CI) the command needs `--yes`, since nobody could answer.
 */
import { createInterface } from 'node:readline/promises';
import { ValidationError } from '../errors.js';

/** Resolves when `yes` or the user answers y/yes; throws a ValidationError naming `--yes` otherwise. */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  const refused = (why: string): ValidationError =>
    new ValidationError(`not confirmed: ${why}`, [
      { file: 'command line', path: '--yes', message: 'pass --yes to confirm' },
    ]);
  if (!process.stdin.isTTY) throw refused('stdin is not a terminal');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw refused('answered no');
  } finally {
    rl.close();
  }
}
