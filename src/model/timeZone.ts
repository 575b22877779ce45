/**
 * Time zones of cron schedules: an IANA name (`Europe/Berlin`, `Asia/Shanghai`, `UTC`) that this
 * Node knows. Part of the shared model (dependency-free): environments validate with it, the
 * scheduler runs schedules in it.
 */

/** Whether `name` is an IANA time zone Node (ICU) knows. */
export function isTimeZone(name: string): boolean {
  if (name.trim() === '' || name !== name.trim()) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The time zone schedules run in when the environment sets none. */
export const DEFAULT_TIME_ZONE = 'UTC';
