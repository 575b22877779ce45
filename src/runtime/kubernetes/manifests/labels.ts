/** Labels, annotations and metadata every rendered object carries, linking it to its app, env and release. */
import { hash } from 'node:crypto';
import type { ManifestInput } from './contract.js';
import { ANNOTATION, LABEL } from './contract.js';
import type { Track } from '../../../model/routing.js';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * `app.kubernetes.io/instance`: `<app>-<env>`, unique per app and environment in a namespace (a label
 * value has at most 63 characters: a longer one keeps its first 54 and a digest of the whole).
 */
export function instanceLabel(app: string, env: string): string {
  const s = `${app}-${env}`;
  return s.length <= 63 ? s : `${s.slice(0, 54)}-${hash('sha256', s).slice(0, 8)}`;
}

/**
 * Labels that select the pods of one service of one app in one environment (stable for the life of
 * the workload: selectors are immutable), so no selector matches another app's or environment's pods.
 */
export function selectorLabels(input: Pick<ManifestInput, 'app' | 'env'>, service: string): Record<string, string> {
  return { [LABEL.name]: service, [LABEL.instance]: instanceLabel(input.app, input.env) };
}

/** `labels` plus `berth.dev/track` when the object belongs to one track of a progressive service. */
export function withTrack(labels: Record<string, string>, track: Track | undefined): Record<string, string> {
  return track === undefined ? labels : { ...labels, [LABEL.track]: track };
}

/** The tag of an image reference (`shop/web:1.0` → `1.0`), when it is a valid label value. */
export function imageVersion(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const at = image.indexOf('@');
  const noDigest = at < 0 ? image : image.slice(0, at);
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  if (colon <= slash) return undefined;
  const tag = noDigest.slice(colon + 1);
  return tag.length <= 63 && LABEL_VALUE.test(tag) ? tag : undefined;
}

/** Every label of an object of `service` (or of the whole app when `service` is undefined). */
export function objectLabels(
  input: Pick<ManifestInput, 'app' | 'env'>,
  service: string | undefined,
  component: string,
  version?: string,
): Record<string, string> {
  // Assigned one by one (in the order they print): every object of a render calls this.
  const labels: Record<string, string> = {};
  if (service !== undefined) labels[LABEL.name] = service;
  labels[LABEL.instance] = instanceLabel(input.app, input.env);
  labels[LABEL.partOf] = input.app;
  labels[LABEL.component] = component;
  labels[LABEL.managedBy] = 'berth';
  if (version !== undefined) labels[LABEL.version] = version;
  labels[LABEL.env] = input.env;
  return labels;
}

/** Object metadata: name, namespace, labels and the release/config annotations. */
export function objectMeta(
  input: Pick<ManifestInput, 'app' | 'env' | 'revision' | 'configVersion' | 'options'>,
  name: string,
  service: string | undefined,
  component: string,
  extra: { version?: string | undefined; annotations?: Record<string, string>; track?: Track | undefined } = {},
): { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> } {
  const labels = objectLabels(input, service, component, extra.version);
  if (extra.track !== undefined) labels[LABEL.track] = extra.track;
  const annotations: Record<string, string> = {
    [ANNOTATION.revision]: String(input.revision),
    [ANNOTATION.configVersion]: String(input.configVersion),
  };
  if (extra.annotations) for (const k of Object.keys(extra.annotations)) annotations[k] = extra.annotations[k]!;
  return { name, namespace: input.options.namespace, labels, annotations };
}
