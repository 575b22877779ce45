/**
 * HAProxy's certificates of an HTTPS edge: each certificate and its key in one PEM file (HAProxy
 * reads both from it), named by content, and a crt-list naming them with their hosts as SNI filters
 * (the first is the default). The files are 0600 in a 0700 directory; each is checked with Node's
 * TLS first, since a certificate HAProxy cannot load fails the whole config check.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { EdgeTlsListener } from '../table.js';
import { writeFileAtomic } from '../state.js';
import { proxyName } from './config.js';

/** Writes the PEM files and the crt-list of edge `key`; returns the crt-list's path. Throws naming a certificate that cannot be used. */
export function writeCrtList(dir: string, key: string, tls: EdgeTlsListener): string {
  const tlsDir = join(dir, 'tls');
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const lines = tls.certificates.map((c) => {
    let pem: string;
    try {
      const cert = readFileSync(c.certFile, 'utf8');
      const keyPem = readFileSync(c.keyFile, 'utf8');
      createSecureContext({ cert, key: keyPem });
      pem = `${cert.trimEnd()}\n${keyPem.trimEnd()}\n`;
    } catch (err) {
      throw new Error(`certificate for ${c.hosts.join(', ')}: ${(err as Error).message}`);
    }
    const file = join(tlsDir, `${createHash('sha256').update(pem).digest('hex').slice(0, 32)}.pem`);
    writeFileAtomic(file, pem, 0o600);
    return `${file} ${c.hosts.map((h) => h.toLowerCase()).join(' ')}`;
  });
  const text = `${lines.join('\n')}\n`;
  // Named by content too: a new certificate is a new config, which reloads HAProxy.
  const list = join(
    tlsDir,
    `${proxyName('e', key)}.${createHash('sha256').update(text).digest('hex').slice(0, 12)}.crtlist`,
  );
  writeFileAtomic(list, text, 0o600);
  return list;
}
