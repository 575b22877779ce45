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
  // A param that is itself a message (a step's phase inside an event) is translated first.
  const params: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(m.params)) params[k] = typeof v === 'object' ? reasonText(t, v, v.text) : v;
  const out = t(key, { ...params, defaultValue: '' } as never) as unknown as string;
  return out === '' || out === key ? fallback : out;
}
