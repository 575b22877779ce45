/** Parsers of flag values, so a bad one is refused by commander with the flag's name. */
import { InvalidArgumentError } from 'commander';

/** A version or revision number: a whole number, 0 or more (`--config-version 3`, `--base 2`, `--to 5`). */
export function versionNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number such as 3.');
  return Number(value);
}
