/**
 * The fake API server's validation of what is written to it, as strict as a real API server's: the
 * OpenAPI schema of each kind (the validators kubernetes-models generates from Kubernetes' own), the
 * name rules (a DNS subdomain; a DNS label for Services and Namespaces; 63 characters for a Job,
 * whose name becomes its pods' `job-name` label), label keys and values, and a Job's pod template
 * restart policy (Never or OnFailure). An invalid object is refused with 422 Invalid and a cause per
 * field, as `kubectl` shows them.
 */
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Event } from 'kubernetes-models/v1/Event';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { DNS_LABEL } from '../../../model/names.js';
import type { FakeObject } from './fakeCluster.js';
import { HttpError } from './serverSideApply.js';

type Model = new (data: never) => { validate(): void };

const MODELS = new Map<string, Model>([
  ['v1/Namespace', Namespace],
  ['v1/Service', Service],
  ['v1/ConfigMap', ConfigMap],
  ['v1/Secret', Secret],
  ['v1/PersistentVolumeClaim', PersistentVolumeClaim],
  ['v1/Pod', Pod],
  ['v1/Event', Event],
  ['apps/v1/Deployment', Deployment],
  ['apps/v1/StatefulSet', StatefulSet],
  ['apps/v1/DaemonSet', DaemonSet],
  ['batch/v1/Job', Job],
  ['batch/v1/CronJob', CronJob],
  ['networking.k8s.io/v1/Ingress', Ingress],
  ['autoscaling/v2/HorizontalPodAutoscaler', HorizontalPodAutoscaler],
  ['policy/v1/PodDisruptionBudget', PodDisruptionBudget],
  ['gateway.networking.k8s.io/v1/HTTPRoute', HTTPRoute],
]);

type Cause = { reason: string; message: string; field: string };

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** Kinds whose names must be DNS labels (they become host names). */
const LABEL_NAMED = new Set(['Namespace', 'Service']);

function nameCauses(o: FakeObject): Cause[] {
  const name = o.metadata.name;
  const invalid = (message: string): Cause[] => [
    { reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": ${message}` },
  ];
  if (LABEL_NAMED.has(o.kind) && (name.length > 63 || !DNS_LABEL.test(name)))
    return invalid("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'");
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    return invalid("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'");
  if (o.kind === 'Job' && name.length > 63) return invalid('must be no more than 63 characters');
  return [];
}

function labelCauses(labels: Record<string, string> | undefined, field: string): Cause[] {
  const out: Cause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    const slash = k.lastIndexOf('/');
    const [prefix, name] = slash < 0 ? ['', k] : [k.slice(0, slash), k.slice(slash + 1)];
    if (name.length > 63 || !LABEL_NAME.test(name) || (prefix !== '' && !DNS_SUBDOMAIN.test(prefix)))
      out.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: "${k}": name part must be valid` });
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v))
      out.push({
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: "${String(v)}": a valid label must be an empty string or 63 characters or fewer, alphanumeric, '-', '_' or '.'`,
      });
  }
  return out;
}

function schemaCauses(o: FakeObject): Cause[] {
  const Model = MODELS.get(`${o.apiVersion}/${o.kind}`);
  if (!Model) return [];
  try {
    new Model(o as never).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] })
      .errors;
    if (!errors) throw err;
    return errors.map((e) => {
      const path = e.instancePath.split('/').filter(Boolean).join('.');
      const missing = e.params?.missingProperty;
      return typeof missing === 'string'
        ? { reason: 'FieldValueRequired', field: [path, missing].filter(Boolean).join('.'), message: 'Required value' }
        : { reason: 'FieldValueInvalid', field: path, message: e.message ?? 'invalid' };
    });
  }
}

function jobCauses(o: FakeObject, path: string[]): Cause[] {
  let spec: unknown = o;
  for (const p of path) spec = (spec as Record<string, unknown> | undefined)?.[p];
  const policy = (spec as { restartPolicy?: string } | undefined)?.restartPolicy ?? 'Always';
  if (policy === 'Never' || policy === 'OnFailure') return [];
  return [
    {
      reason: 'FieldValueNotSupported',
      field: path.join('.') + '.restartPolicy',
      message: `Unsupported value: "${policy}": supported values: "OnFailure", "Never"`,
    },
  ];
}

/** Refuses an invalid object with 422 Invalid (one cause per field), as the API server does. */
export function validateObject(o: FakeObject): void {
  const causes = [
    ...nameCauses(o),
    ...labelCauses(o.metadata.labels, 'metadata.labels'),
    ...schemaCauses(o),
    ...(o.kind === 'Job' ? jobCauses(o, ['spec', 'template', 'spec']) : []),
    ...(o.kind === 'CronJob' ? jobCauses(o, ['spec', 'jobTemplate', 'spec', 'template', 'spec']) : []),
  ];
  if (causes.length === 0) return;
  const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
  const text = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  throw new HttpError(422, 'Invalid', `${o.kind}${group} "${o.metadata.name}" is invalid: ${text}`, causes);
}
