/**
 * The edge's TLS of a release: berth.yaml `edge.tls` with each certificate and key read from its
 * file (relative to berth.yaml, once per render that uses them: a changed file rolls out with the
 * next deploy) or from the config set. The runtime gets the PEM
 * texts; the release shows the certificate's SHA-256 and the key masked, never the key.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Problem } from '../errors.js';
import { ownGet } from '../own.js';
import type { ResolvedConfig } from '../config/configSets.js';
import type { EdgeCertificate, EdgeTls, IngressTls, Route } from '../model/routing.js';
import type { EdgeTlsSpec } from '../spec/edge.js';
import { isWildcardHost, wildcardMatches } from '../model/hosts.js';
import { MASK } from '../model/mask.js';

interface TlsInput {
  tls: EdgeTlsSpec;
  routes: readonly Route[];
  /** berth.yaml's path: files are relative to its folder. */
  file: string;
  positionOf?: (path: (string | number)[]) => { line: number; column: number } | undefined;
  config: ResolvedConfig;
  app: string;
  env: string;
}

/** True if a certificate for `hosts` covers `host` (exact, or a wildcard of one label; a wildcard route host needs the same wildcard). */
export function certificateCovers(hosts: readonly string[], host: string): boolean {
  return hosts.some(
    (h) => h === host || (isWildcardHost(h) && !isWildcardHost(host) && wildcardMatches(host, h.slice(1))),
  );
}

/**
 * The Ingress's `tls` on Kubernetes: `edge.tls.kubernetes` as given (a Secret of the user's or one
 * cert-manager fills), else a Secret Berth makes of each certificate (`<app>-tls`, `<app>-tls-2`..),
 * real for the runtime and shown for the release; undefined without either.
 */
export function resolveIngressTls(
  input: TlsInput,
  read: boolean,
): { real?: IngressTls; shown?: IngressTls; problems: Problem[] } {
  const k8s = input.tls.kubernetes;
  if (k8s) {
    const given = { secretName: k8s.secretName, ...(k8s.clusterIssuer ? { clusterIssuer: k8s.clusterIssuer } : {}) };
    return { real: given, shown: given, problems: [] };
  }
  if (input.tls.certificates.length === 0 || !read) return { problems: [] };
  // Only the certificates: development certificates are of one machine.
  const { real, shown, problems } = resolveEdgeTls({ ...input, tls: { ...input.tls, devCertificates: false } });
  const name = (i: number): string => (i === 0 ? `${input.app}-tls` : `${input.app}-tls-${i + 1}`);
  const secrets = (certs: EdgeCertificate[]): IngressTls => ({
    secretName: name(0),
    secrets: certs.map((c, i) => ({ name: name(i), ...c })),
  });
  return { real: secrets(real.certificates), shown: secrets(shown.certificates), problems };
}

/** The real TLS settings for the runtime and the shown ones for the release; problems name berth.yaml's fields. */
export function resolveEdgeTls(input: TlsInput): { real: EdgeTls; shown: EdgeTls; problems: Problem[] } {
  const problems: Problem[] = [];
  const at = (path: (string | number)[], message: string): void =>
    void problems.push({ file: input.file, ...(input.positionOf?.(path) ?? {}), path: path.join('.'), message });
  // Each file read once per render, even when it holds both the certificate and the key or serves
  // several entries; a file that cannot be read is named at each field that uses it.
  const texts = new Map<string, { text: string } | { code: string }>();
  const readOnce = (path: string): { text: string } | { code: string } => {
    const full = resolve(dirname(input.file), path);
    let got = texts.get(full);
    if (got === undefined) {
      try {
        got = { text: readFileSync(full, 'utf8') };
      } catch (err) {
        got = { code: (err as NodeJS.ErrnoException).code ?? String(err) };
      }
      texts.set(full, got);
    }
    return got;
  };
  const certificates: EdgeCertificate[] = [];
  const shown: EdgeCertificate[] = [];
  input.tls.certificates.forEach((c, i) => {
    const base = ['edge', 'tls', 'certificates', i];
    const read = (what: 'cert' | 'key'): string | undefined => {
      const path = c[what];
      if (path !== undefined) {
        const got = readOnce(path);
        if ('text' in got) return got.text;
        at([...base, what], `cannot read ${path}: ${got.code}`);
        return undefined;
      }
      const name = c[`${what}FromConfig`]!;
      const stored = ownGet(input.config.files, name);
      if (stored === undefined) {
        at(
          [...base, `${what}FromConfig`],
          `the config set of ${input.app} in ${input.env} (version ${input.config.version}) has no file ${name}; add it with \`berth config set --file ${name}=LOCAL_FILE${what === 'key' ? ' --secret' : ''}\``,
        );
        return undefined;
      }
      if (what === 'key' && !stored.secret) {
        at(
          [...base, 'keyFromConfig'],
          `config file ${name} holds a private key but is not secret; set it again with \`berth config set --file ${name}=LOCAL_FILE --secret\``,
        );
        return undefined;
      }
      return stored.content;
    };
    const cert = read('cert');
    const key = read('key');
    if (cert === undefined || key === undefined) return;
    try {
      new X509Certificate(cert);
    } catch {
      at([...base, c.cert !== undefined ? 'cert' : 'certFromConfig'], 'is not a PEM certificate');
      return;
    }
    certificates.push({ hosts: c.hosts, cert, key });
    shown.push({ hosts: c.hosts, cert: `sha256:${createHash('sha256').update(cert).digest('hex')}`, key: MASK });
  });
  const devHosts = input.tls.devCertificates
    ? [
        ...new Set(
          input.routes
            .map((r) => r.host ?? 'localhost')
            .concat('localhost')
            .filter((h) => !input.tls.certificates.some((c) => certificateCovers(c.hosts, h))),
        ),
      ].sort()
    : [];
  const common = {
    redirect: input.tls.redirect,
    ...(input.tls.port !== undefined ? { port: { port: input.tls.port, from: 'berth.yaml edge.tls.port' } } : {}),
    ...(devHosts.length ? { devHosts } : {}),
  };
  return { real: { ...common, certificates }, shown: { ...common, certificates: shown }, problems };
}
