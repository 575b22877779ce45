/**
 * An HTTPS edge's certificates: loaded from their files, and chosen per TLS handshake by the SNI
 * name (an exact host first, then the longest wildcard that matches, else the first certificate).
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { isWildcardHost, wildcardMatches } from '../model/hosts.js';
import type { EdgeCertificateFiles } from './table.js';

/** A certificate ready for SNI: exact hosts, and wildcard suffixes (`.shop.local`) longest first. */
export interface SniEntry {
  exact: Set<string>;
  wildcards: string[];
  context: SecureContext;
}

/** Loads the certificates' files; throws naming the hosts of one that cannot be used. */
export function loadCertificates(certs: readonly EdgeCertificateFiles[]): {
  entries: SniEntry[];
  first: { cert: Buffer; key: Buffer };
} {
  let first: { cert: Buffer; key: Buffer } | undefined;
  const entries = certs.map((c) => {
    try {
      const pair = { cert: readFileSync(c.certFile), key: readFileSync(c.keyFile) };
      first ??= pair;
      const hosts = c.hosts.map((h) => h.toLowerCase());
      return {
        exact: new Set(hosts.filter((h) => !isWildcardHost(h))),
        wildcards: hosts.filter(isWildcardHost).map((h) => h.slice(1)),
        context: createSecureContext(pair),
      };
    } catch (err) {
      throw new Error(`certificate for ${c.hosts.join(', ')}: ${(err as Error).message}`);
    }
  });
  if (first === undefined) throw new Error('an HTTPS edge needs a certificate');
  return { entries, first };
}

/** The certificate for an SNI name: exact host, then the longest wildcard, else undefined (the default). */
export function sniContext(entries: readonly SniEntry[], servername: string): SecureContext | undefined {
  const name = servername.toLowerCase();
  let best: SniEntry | undefined;
  let bestLength = -1;
  for (const e of entries) {
    if (e.exact.has(name)) return e.context;
    for (const w of e.wildcards)
      if (w.length > bestLength && wildcardMatches(name, w)) {
        best = e;
        bestLength = w.length;
      }
  }
  return best?.context;
}
