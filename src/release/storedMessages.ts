/**
 * Text columns of the release store that may hold a message with its code (`encodeMessage`): a
 * release's reason and message, a step's message, an event's message. Each reads back as the
 * English text and, when it has one, the message the console translates.
 */
import { decodeMessage, type Message } from '../model/messages.js';

/** A stored reason as the API shows it: the English text, and its code when it has one. */
export function eventMessageOf(stored: string): { message: string; detail?: Message } {
  const { text, message } = decodeMessage(stored);
  return { message: text, ...(message ? { detail: message } : {}) };
}

export function stepMessageOf(stored: string | null): { message: string | null; messageDetail?: Message } {
  const { reason, reasonMessage } = reasonOf(stored);
  return { message: reason, ...(reasonMessage ? { messageDetail: reasonMessage } : {}) };
}

export function reasonOf(stored: string | null): { reason: string | null; reasonMessage?: Message } {
  if (stored === null) return { reason: null };
  const { text, message } = decodeMessage(stored);
  return { reason: text, ...(message ? { reasonMessage: message } : {}) };
}

/** A release's message: the author's words as they are, or a coded message Berth wrote (scale, restart, down, auto-rollback). */
export function releaseMessageOf(stored: string | null): { message: string | null; messageDetail?: Message } {
  return stepMessageOf(stored);
}
