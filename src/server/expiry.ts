/**
 * How long a credential lives (docs/access.md): `30d`, `12h`, `90m`… — the spec's durations with days
 * added — for tokens (`berth login`, `berth token create`, SSO) and approval requests, each refused with
 * a 400 naming its body field when invalid or too long.
 */
import { ValidationError } from '../errors.js';
import { parseDurationMs } from '../spec/units.js';

/** How long a CLI login's token lives unless asked otherwise, and at most. */
export const LOGIN_TOKEN_TTL_MS = 30 * 24 * 3600_000;
export const MAX_TOKEN_TTL_MS = 366 * 24 * 3600_000;

/** `30d`, `12h`, `90m`…: milliseconds, or undefined when invalid (days added to the spec's duration units). */
export function parseExpiry(text: string): number | undefined {
  const days = /^(\d{1,4})d$/.exec(text.trim());
  if (days) return Number(days[1]) * 24 * 3600_000;
  const ms = parseDurationMs(text);
  return ms === undefined || ms <= 0 ? undefined : ms;
}

/** The expiry of a token asked to live `expiresIn` (the default when absent); a 400 naming `field` when invalid or too long. */
export function expiryOf(expiresIn: string | undefined, field = 'expiresIn', defaultMs = LOGIN_TOKEN_TTL_MS): Date {
  const ms = expiresIn === undefined ? defaultMs : parseExpiry(expiresIn);
  if (ms === undefined || ms > MAX_TOKEN_TTL_MS)
    throw new ValidationError(`invalid ${field}`, [
      {
        file: 'request body',
        path: field,
        message: `${JSON.stringify(expiresIn)} is not a duration of at most 366d (e.g. 30d, 12h)`,
      },
    ]);
  return new Date(Date.now() + ms);
}
