/**
 * Test helpers of the Helm export: write a chart to disk, run the real `helm template` on it, and
 * compare its objects with `berth render`'s.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { ChartFiles } from './chart.js';
import { ANNOTATION, LABEL, type KubernetesObject } from '../../runtime/kubernetes/manifests/contract.js';
import { jobName } from '../../runtime/kubernetes/manifests/job.js';

const run = promisify(execFile);

/** Writes a chart's files under `dir/name`; returns the chart folder. */
export async function writeChart(files: ChartFiles, dir: string, name: string): Promise<string> {
  const root = join(dir, name);
  for (const [p, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await writeFile(join(root, p), content);
  }
  return root;
}

/** `helm template <release> <chart> --namespace <ns> ...args`, parsed. */
export async function helmTemplate(
  helm: string,
  chart: string,
  opts: { release: string; namespace: string; args?: string[] },
): Promise<KubernetesObject[]> {
  const { stdout } = await run(
    helm,
    ['template', opts.release, chart, '--namespace', opts.namespace, ...(opts.args ?? [])],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

const annotationsOf = (o: KubernetesObject): Record<string, string> | undefined => {
  const spec = o.spec as
    | {
        template?: { metadata?: { annotations?: Record<string, string> } };
        jobTemplate?: { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } };
      }
    | undefined;
  return spec?.template?.metadata?.annotations ?? spec?.jobTemplate?.spec?.template?.metadata?.annotations;
};

/**
 * Objects by kind/name, comparable between Helm and Berth: the config checksum (Berth's covers the
 * secret digests, Helm's the values) is checked to be a sha256 and masked; a Job's name is checked
 * to be `<service>-<digest of its own pod template>` (so it follows the checksum) and its digest masked.
 */
export function comparable(objects: KubernetesObject[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of objects) {
    const copy = structuredClone(o);
    let name = o.metadata.name;
    if (o.kind === 'Job') {
      const service = o.metadata.labels?.[LABEL.name] ?? '';
      const template = (o.spec as { template?: unknown } | undefined)?.template;
      if (o.metadata.name !== jobName(service, template))
        throw new Error(`Job ${o.metadata.name} is not named by the digest of its pod template`);
      name = `${service}-<digest of its pod template>`;
      copy.metadata.name = name;
    }
    const ann = annotationsOf(copy);
    if (ann?.[ANNOTATION.configChecksum] !== undefined) {
      if (!/^[0-9a-f]{64}$/.test(ann[ANNOTATION.configChecksum]!))
        throw new Error(`${o.kind}/${o.metadata.name}: config checksum ${ann[ANNOTATION.configChecksum]}`);
      ann[ANNOTATION.configChecksum] = 'checksum';
    }
    out[`${o.kind}/${name}`] = copy;
  }
  return out;
}
