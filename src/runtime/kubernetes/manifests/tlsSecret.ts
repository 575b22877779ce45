/** The edge's certificates from berth.yaml → `kubernetes.io/tls` Secrets the Ingress's `tls` names. */
import type { KubernetesObject, ManifestInput } from './contract.js';
import { objectMeta } from './labels.js';
import { MASK } from '../../../model/mask.js';

/**
 * One Secret per certificate Berth makes for the Ingress (none when `edge.tls.kubernetes` names the
 * Secret): base64 `tls.crt`/`tls.key` when applying, `stringData` of `******` when shown to people.
 */
export function ingressTlsSecrets(input: ManifestInput): KubernetesObject[] {
  const masked = input.options.secrets === 'masked';
  return (input.ingressTls?.secrets ?? []).map((s) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: objectMeta(input, s.name, undefined, 'edge'),
    type: 'kubernetes.io/tls',
    ...(masked
      ? { stringData: { 'tls.crt': MASK, 'tls.key': MASK } }
      : {
          data: {
            'tls.crt': Buffer.from(s.cert, 'utf8').toString('base64'),
            'tls.key': Buffer.from(s.key, 'utf8').toString('base64'),
          },
        }),
  }));
}
