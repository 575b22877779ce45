/**
 * Offline validation of rendered objects against the Kubernetes OpenAPI schemas (the validators
 * kubernetes-models generates from them) and the Gateway API CRD schemas for HTTPRoutes, plus what
 * the chosen Kubernetes version serves.
 */
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { hash } from 'node:crypto';
import { ValidationError, type Problem } from '../../../errors.js';
import type { KubernetesObject } from './contract.js';
import { FIELD_SINCE, SCHEMA_KUBERNETES_VERSION, isServed, minorOf } from './versions.js';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/DaemonSet': DaemonSet,
  'batch/v1/Job': Job,
  'batch/v1/CronJob': CronJob,
  'networking.k8s.io/v1/Ingress': Ingress,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  // A CRD (Gateway API v1, @kubernetes-models/gateway-api 2.0): its schema does not follow the Kubernetes version.
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
};

interface SchemaError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

const dotted = (pointer: string): string =>
  pointer
    .split('/')
    .filter(Boolean)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');

function schemaProblems(obj: KubernetesObject, label: string): Problem[] {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model)
    return [{ file: label, path: 'apiVersion', message: `Berth has no schema for ${obj.apiVersion} ${obj.kind}` }];
  try {
    new Model(obj as never).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: SchemaError[] }).errors;
    if (!errors) throw err;
    return errors.map((e) => {
      const missing = e.params?.missingProperty;
      const path = dotted(e.instancePath);
      return {
        file: label,
        path: typeof missing === 'string' ? [path, missing].filter(Boolean).join('.') : path,
        message: typeof missing === 'string' ? 'is required' : (e.message ?? 'invalid'),
      };
    });
  }
}

/** Problems of one object for Kubernetes 1.`minor`: schema errors, each with its field path, and version limits. */
export function objectProblems(obj: KubernetesObject, minor: number): Problem[] {
  const label = `${obj.kind ?? '?'}/${obj.metadata?.name ?? '?'}`;
  const problems: Problem[] = [];
  if (!isServed(obj.apiVersion, obj.kind, minor))
    problems.push({
      file: label,
      path: 'apiVersion',
      message: `${obj.apiVersion} ${obj.kind} is not served by Kubernetes 1.${minor}`,
    });
  problems.push(...schemaProblems(obj, label));
  if (minor < FIELD_SINCE.preStopSleep) {
    const containers = podSpecOf(obj)?.containers;
    if (Array.isArray(containers))
      containers.forEach((c: { lifecycle?: { preStop?: { sleep?: unknown } } }, i) => {
        if (c.lifecycle?.preStop?.sleep !== undefined)
          problems.push({
            file: label,
            path: `${podSpecPath(obj)}.containers.${i}.lifecycle.preStop.sleep`,
            message: `needs Kubernetes 1.${FIELD_SINCE.preStopSleep} or later`,
          });
      });
  }
  return problems;
}

function podSpecPath(obj: KubernetesObject): string {
  return obj.kind === 'CronJob' ? 'spec.jobTemplate.spec.template.spec' : 'spec.template.spec';
}

function podSpecOf(obj: KubernetesObject): { containers?: unknown } | undefined {
  let v: unknown = obj;
  for (const part of podSpecPath(obj).split('.'))
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v !== null && typeof v === 'object' ? (v as { containers?: unknown }) : undefined;
}

/**
 * Digests of objects already found valid, per Kubernetes minor version. A control plane renders the
 * same app again and again (another config version, an edited berth.yaml) and most objects come out
 * byte-identical; checking one against the schemas costs ~50× more than hashing it. Only objects
 * without problems are remembered, so every problem is still reported every time.
 */
const valid = new Set<string>();
/** Bounds the memory of a long-running control plane (~60 bytes an entry). */
const MAX_REMEMBERED = 50_000;

/**
 * Berth's release annotations (`berth.dev/revision`, `config-version`, `config-checksum`, `hash`):
 * string values in a map of strings, valid whatever they hold. Left out of the digest, an object that
 * differs from one found valid only in them (every object after a config change) is not checked again.
 */
const RELEASE_ANNOTATION = /"berth\.dev\/(?:revision|config-version|config-checksum|hash)":"[^"\\]*"/g;

function digestOf(json: string, minor: number): string {
  const stable = json.replace(RELEASE_ANNOTATION, (m) => `${m.slice(0, m.indexOf('":"') + 3)}"`);
  return hash('sha1', `${minor}\n${stable}`, 'base64');
}

/**
 * Throws one ValidationError listing every problem of every object for Kubernetes `version`.
 * `jsons` are the objects' `JSON.stringify` when the caller has them (it leaves out undefined
 * fields, as the schema models do before validating).
 */
export function validateObjects(
  objects: KubernetesObject[],
  version: string,
  jsons: readonly string[] = objects.map((o) => JSON.stringify(o)),
): void {
  const minor = minorOf(version);
  const problems: Problem[] = [];
  for (const [i, o] of objects.entries()) {
    const digest = digestOf(jsons[i]!, minor);
    if (valid.has(digest)) continue;
    const found = objectProblems(o, minor);
    if (found.length > 0) problems.push(...found);
    else {
      if (valid.size >= MAX_REMEMBERED) valid.clear();
      valid.add(digest);
    }
  }
  if (problems.length > 0)
    throw new ValidationError(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the Kubernetes objects (schemas of Kubernetes ${SCHEMA_KUBERNETES_VERSION}, checked for ${version})`,
      problems,
    );
}
