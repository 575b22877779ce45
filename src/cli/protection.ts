/**
 * Operations into a protected environment from the CLI: the server refuses an unconfirmed deploy or
 * rollback there (403, details.protected); on a terminal the command then asks and sends it again
 * confirmed, with `--yes` it is sent confirmed at once, and without a terminal the refusal stands.
 */
import { BerthError, ErrorCode } from '../errors.js';
import { confirm } from './confirm.js';

/** Whether `err` is the server's refusal of an unconfirmed operation into a protected environment. */
export function isProtectedRefusal(err: unknown): err is BerthError {
  return err instanceof BerthError && err.code === ErrorCode.forbidden && err.details?.['protected'] === true;
}

/** Sends the operation (confirmed with `yes`); refused as unconfirmed on a terminal, asks and sends it confirmed. */
export async function withConfirmation<T>(
  yes: boolean | undefined,
  send: (confirmed: boolean) => Promise<T>,
): Promise<T> {
  try {
    return await send(yes === true);
  } catch (err) {
    if (yes || !isProtectedRefusal(err) || !process.stdin.isTTY) throw err;
    await confirm(`${err.message}\ngo ahead?`, false);
    return send(true);
  }
}
