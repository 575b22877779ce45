/**
 * Berth's local development CA: on first use a CA (`<home>/tls/ca.crt`, its key beside it, 0600) and,
 * per set of hosts, a leaf certificate it signs, kept under `<home>/tls/dev/` and remade when it
 * nears its end. Made with the `openssl` binary (Debian and most systems have it): Node's crypto
 * cannot issue X.509 certificates, and this keeps Berth free of a certificate library for a
 * development feature. Trust `ca.crt` in the browser or with `curl --cacert`.
 */
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RuntimeError } from '../../errors.js';

const run = promisify(execFile);

/** Leaf certificates are remade this long before they end. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new RuntimeError(
        'edge.tls.devCertificates needs the openssl binary (apt-get install openssl), or give certificates',
      );
    throw new RuntimeError(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function fresh(certFile: string, now: number): boolean {
  try {
    return new Date(new X509Certificate(readFileSync(certFile)).validTo).getTime() - now > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

/** The CA's files, made when missing. */
export async function devCa(home: string, now = Date.now()): Promise<{ certFile: string; keyFile: string }> {
  const dir = join(home, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  if (!existsSync(keyFile) || !fresh(certFile, now)) {
    await openssl([
      'req',
      '-x509',
      ...EC,
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '3650',
      '-subj',
      '/O=Berth/CN=Berth local development CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    chmodSync(keyFile, 0o600);
  }
  return { certFile, keyFile };
}

/** A certificate of the development CA for `hosts` (PEM texts), made or reused. */
export async function devCertificate(
  home: string,
  hosts: readonly string[],
  now = Date.now(),
): Promise<{ cert: string; key: string }> {
  const ca = await devCa(home, now);
  const dir = join(home, 'tls', 'dev');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = createHash('sha256')
    .update([...hosts].sort().join(','))
    .digest('hex')
    .slice(0, 16);
  const certFile = join(dir, `${id}.crt`);
  const keyFile = join(dir, `${id}.key`);
  if (!existsSync(keyFile) || !fresh(certFile, now)) {
    const csr = join(dir, `${id}.csr`);
    const ext = join(dir, `${id}.ext`);
    const names = hosts.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`));
    writeFileSync(
      ext,
      `subjectAltName=${[...names, 'IP:127.0.0.1'].join(',')}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
    );
    try {
      await openssl(['req', ...EC, '-keyout', keyFile, '-out', csr, '-subj', `/O=Berth/CN=${hosts[0] ?? 'localhost'}`]);
      chmodSync(keyFile, 0o600);
      await openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca.certFile,
        '-CAkey',
        ca.keyFile,
        '-set_serial',
        `0x${createHash('sha256').update(`${id}${now}`).digest('hex').slice(0, 30)}`,
        // 397 days: the longest validity browsers accept for a leaf.
        '-days',
        '397',
        '-extfile',
        ext,
        '-out',
        certFile,
      ]);
    } finally {
      rmSync(csr, { force: true });
      rmSync(ext, { force: true });
    }
  }
  // The chain: leaf, then the CA (clients that trust the CA need only the leaf; it does no harm).
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}
