/**
 * Server-made messages in the console's language: the server sends a code and params beside its
 * English text (src/model/messages.ts); the code's translation is `reasons.<code>`. A message
 * without a code (older releases) or with a code this console does not know shows its text.
 */
import type { TFunction } from 'i18next';
import type { Message } from '../../../src/model/messages.js';

export type { Message };

/** The message in the current language, else `fallback` (the server's English text). */
export function reasonText(t: TFunction, m: Message | undefined, fallback: string): string {
  if (!m) return fallback;
  const key = `reasons.${m.code}`;
  const out = t(key, { ...m.params, defaultValue: '' } as never) as unknown as string;
  return out === '' || out === key ? fallback : out;
}
