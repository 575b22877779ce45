/**
 * Signature and token checks of webhook deliveries, in constant time: an HMAC-SHA256 of the raw body
 * (GitHub's `X-Hub-Signature-256: sha256=<hex>`, Gitea's and Forgejo's `X-Gitea-Signature: <hex>`)
 * or a shared token (GitLab's `X-Gitlab-Token`).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The hex HMAC-SHA256 of `body` keyed by `secret`. */
export function hmacSha256Hex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * Whether two strings are equal, in time that depends on neither's content nor length: both are
 * hashed first, so the comparison is always of 32 bytes.
 */
export function sameText(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

/** Whether `given` (hex, any case) is the HMAC-SHA256 of `body` keyed by `secret`. */
export function validHmac(given: string, secret: string, body: Buffer): boolean {
  return sameText(given.trim().toLowerCase(), hmacSha256Hex(secret, body));
}
