/**
 * The edge's certificates as files the gateway reads: `<home>/gateway/tls/<sha256>.crt|.key`, the
 * directory 0700 and each file 0600, named by content so a new certificate is a new table entry.
 * Files no edge of the gateway's table names any more are removed (a replaced or removed edge's key
 * does not stay on disk).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../gateway/state.js';
import type { EdgeCertificateFiles, EdgeTlsListener } from '../../gateway/table.js';
import type { EdgeCertificate } from '../../model/routing.js';

/** The names this module gives its files (a crt-list's PEM files beside them are not ours). */
const OWN_FILE = /^[0-9a-f]{32}\.(crt|key)$/;

/** Writes each certificate and key (unless already there) and returns their paths. */
export function writeEdgeCertificates(dir: string, certs: readonly EdgeCertificate[]): EdgeCertificateFiles[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return certs.map((c) => {
    const id = createHash('sha256').update(c.cert).update('\0').update(c.key).digest('hex').slice(0, 32);
    const certFile = join(dir, `${id}.crt`);
    const keyFile = join(dir, `${id}.key`);
    if (!existsSync(keyFile)) {
      writeFileAtomic(certFile, c.cert, 0o600);
      writeFileAtomic(keyFile, c.key, 0o600);
    }
    return { hosts: c.hosts, certFile, keyFile };
  });
}

/** Removes the certificate files of `dir` that none of `edges` uses; returns the names removed. */
export function pruneEdgeCertificates(dir: string, edges: readonly { tls?: EdgeTlsListener }[]): string[] {
  const used = new Set<string>();
  for (const e of edges) for (const c of e.tls?.certificates ?? []) used.add(c.certFile).add(c.keyFile);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed = names.filter((n) => OWN_FILE.test(n) && !used.has(join(dir, n)));
  for (const n of removed) rmSync(join(dir, n), { force: true });
  return removed;
}
