/** berth.yaml `edge`: where the app's edge listens on one machine, and its TLS. */
import { z } from 'zod';
import { HOST_NAME } from '../model/names.js';

const tcpPort = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be a TCP port (1-65535)')
  .max(65535, 'must be a TCP port (1-65535)');

/** A host a certificate is for, as a route's `host` (`shop.local`, `*.shop.local`). */

const certificateSchema = z
  .strictObject({
    hosts: z
      .array(z.string().regex(HOST_NAME, 'must be a host name such as `shop.local` or `*.shop.local`'))
      .min(1, 'name at least one host')
      .describe('Hosts the certificate is for; picked by SNI (exact host first, then wildcard).'),
    cert: z.string().min(1).optional().describe('PEM certificate (with its chain) file, relative to berth.yaml.'),
    key: z.string().min(1).optional().describe('PEM private key file, relative to berth.yaml.'),
    certFromConfig: z.string().min(1).optional().describe('Config file of the config set holding the certificate.'),
    keyFromConfig: z
      .string()
      .min(1)
      .optional()
      .describe('Secret config file of the config set holding the private key (`berth config set --secret --file`).'),
  })
  .superRefine((c, ctx) => {
    for (const what of ['cert', 'key'] as const) {
      const from = `${what}FromConfig` as const;
      if ((c[what] === undefined) === (c[from] === undefined))
        ctx.addIssue({ code: 'custom', path: [what], message: `give exactly one of \`${what}\` or \`${from}\`` });
    }
  })
  .describe('A certificate and its key, from files or from the config set.');

const tlsSchema = z
  .strictObject({
    port: tcpPort
      .optional()
      .describe('HTTPS port of the edge on one machine. Default: 8443, the next free one above for later apps.'),
    redirect: z
      .boolean()
      .default(true)
      .describe('The HTTP port answers 308 with the https:// URL (true), or serves as well (false).'),
    certificates: z
      .array(certificateSchema)
      .default([])
      .describe(
        'Certificates, chosen per host by SNI. On Kubernetes Berth makes a `kubernetes.io/tls` Secret of each (`<app>-tls`, `<app>-tls-2`..) that the Ingress names, unless `kubernetes` names the Secret.',
      ),
    devCertificates: z
      .boolean()
      .default(false)
      .describe(
        "One machine: hosts no certificate covers get a certificate of Berth's local development CA (`<home>/tls/ca.crt`, to trust in a browser).",
      ),
    kubernetes: z
      .strictObject({
        secretName: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes Secret name')
          .describe('TLS Secret (`kubernetes.io/tls`) of the Ingress: an existing one, or the one cert-manager fills.'),
        clusterIssuer: z
          .string()
          .optional()
          .describe('cert-manager ClusterIssuer: adds the `cert-manager.io/cluster-issuer` annotation.'),
      })
      .optional()
      .describe("The Ingress's `tls` section on Kubernetes, instead of Secrets made of `certificates`."),
  })
  .superRefine((t, ctx) => {
    if (t.certificates.length === 0 && !t.devCertificates && t.kubernetes === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['certificates'],
        message: 'give certificates, devCertificates: true, or kubernetes.secretName',
      });
  })
  .describe('HTTPS at the edge.');

/** The `edge` section of berth.yaml. */
export const edgeSchema = z
  .strictObject({
    port: tcpPort
      .optional()
      .describe(
        "HTTP port of the app's edge on one machine, in every environment (an environment's `--edge-port APP=PORT` wins). Default: the environment's edge port, else 8080, the next free one above for later apps.",
      ),
    tls: tlsSchema.optional(),
  })
  .describe("The app's edge: its port on one machine, and TLS.");

/** The `edge` section, normalised. */
export type EdgeSpec = z.output<typeof edgeSchema>;
/** The `edge.tls` section, normalised. */
export type EdgeTlsSpec = z.output<typeof tlsSchema>;
