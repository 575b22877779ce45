/**
 * The edge's certificates as files the gateway reads: `<home>/gateway/tls/<sha256>.crt|.key`, the
 * directory 0700 and each file 0600, named by content so a new certificate is a new table entry.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EdgeCertificateFiles } from '../../gateway/table.js';
import type { EdgeCertificate } from '../runtime.js';

function writeFileAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

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
