/** The `-e, --env <env>` option of the commands that act on one app in one environment. */
import { Option } from 'commander';

/**
 * `-e, --env <env>`: by default `$BERTH_ENV`, else `local` (read when the command is set up);
 * `fallback` `null` gives no default (the command then means every environment).
 */
export function envOption(help = 'environment', fallback: string | null = process.env.BERTH_ENV ?? 'local'): Option {
  const option = new Option('-e, --env <env>', help);
  return fallback === null ? option : option.default(fallback);
}
