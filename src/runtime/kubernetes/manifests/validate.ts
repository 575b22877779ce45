/**
 * Offline validation of rendered objects against the Kubernetes OpenAPI schemas (the validators
 * kubernetes-models generates from them) and the Gateway API CRD schemas for HTTPRoutes, plus what
 * the chosen Kubernetes version serves.
 */
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
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
import { yamlDocuments, type YamlDocuments } from './toYaml.js';
import { FIELD_SINCE, SCHEMA_KUBERNETES_VERSION, isServed, minorOf } from './versions.js';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
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
    // A model's constructor copies the object without its undefined values before validating the copy
    // (kubernetes-models' setDefinedProps): a rendered object has none as a rule, and is then
    // validated as it is, with the validate method on the object itself (~40 % of a cold render's
    // validation was that copy and its garbage). The Gateway API models (an older base) find their
    // schema through the instance's prototype: those always go through the copy.
    if (Model === HTTPRoute || hasUndefined(obj)) new Model(obj as never).validate();
    else Model.prototype.validate.call(obj);
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

/** Whether `v` holds an undefined value at any depth (in an object's property or an array). */
function hasUndefined(v: unknown): boolean {
  if (v === undefined) return true;
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (const x of v) if (hasUndefined(x)) return true;
    return false;
  }
  for (const k in v) if (hasUndefined((v as Record<string, unknown>)[k])) return true;
  return false;
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
 * Objects already found valid, by their validation key (the YAML document with the release
 * annotation values left out, see `YamlDocuments`), filed under the object's identity and the
 * Kubernetes minor version. A control plane renders the same app again and again (another config
 * version, an edited berth.yaml) and most objects come out the same; checking one against the
 * schemas costs ~50× more than looking it up. Only objects without problems are remembered, so every
 * problem is still reported every time. A hit needs the whole key equal (the identity only files it:
 * comparing a few strings of one object costs less than hashing every key).
 */
const validKeys = new Map<string, string[]>();
let validChars = 0;
/** Bounds the memory of a long-running control plane (characters of the keys held). */
const MAX_VALID_CHARS = 8_000_000;
/** Versions of one object remembered (a config switched back and forth finds both). */
const MAX_PER_OBJECT = 4;

/** Forgets every object found valid (server/renderWarmup.ts: a warm-up leaves no verdict behind). */
export function forgetValidObjects(): void {
  validKeys.clear();
  validChars = 0;
  validDigests.clear();
}

/** How many verdicts (objects found valid) are held: for tests of who remembers what. */
export function heldVerdicts(): number {
  let n = validDigests.size;
  for (const list of validKeys.values()) n += list.length;
  return n;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

function identity(obj: KubernetesObject, minor: number): string {
  const meta = obj.metadata as KubernetesObject['metadata'] | undefined;
  return `${minor} ${text(obj.apiVersion)} ${text(obj.kind)} ${text(meta?.namespace)} ${text(meta?.name)}`;
}

/** Digests of objects found valid that have no key (not JSON-shaped data): by their JSON, as sha1. */
const validDigests = new Set<string>();
const MAX_DIGESTS = 50_000;

/**
 * Release annotations in an object's JSON, for the objects without a key: the same values the key
 * leaves out (`[A-Za-z0-9._:+-]` only).
 */
const RELEASE_ANNOTATION = /"berth\.dev\/(?:revision|config-version|config-checksum|hash)":"[A-Za-z0-9._:+-]*"/g;

function digestOf(obj: KubernetesObject, minor: number): string {
  const stable = JSON.stringify(obj).replace(RELEASE_ANNOTATION, (m) => `${m.slice(0, m.indexOf('":"') + 3)}"`);
  return hash('sha1', `${minor}\n${stable}`, 'base64');
}

function remember(minor: number, key: string | undefined, obj: KubernetesObject): void {
  if (key === undefined) {
    if (validDigests.size >= MAX_DIGESTS) validDigests.clear();
    validDigests.add(digestOf(obj, minor));
    return;
  }
  if (validChars + key.length > MAX_VALID_CHARS) {
    validKeys.clear();
    validChars = 0;
  }
  const id = identity(obj, minor);
  const list = validKeys.get(id);
  if (!list) validKeys.set(id, [key]);
  else {
    list.unshift(key);
    if (list.length > MAX_PER_OBJECT) validChars -= list.pop()!.length;
  }
  validChars += key.length;
}

function known(minor: number, printed: YamlDocuments, i: number, obj: KubernetesObject): boolean {
  // Not JSON-shaped data (no key): by its JSON.
  if (!printed.keyed(i)) return validDigests.has(digestOf(obj, minor));
  const list = validKeys.get(identity(obj, minor));
  if (list !== undefined) for (const key of list) if (printed.hasKey(i, key)) return true;
  return false;
}

/**
 * Throws one ValidationError listing every problem of every object for Kubernetes `version`.
 * `printed` is `yamlDocuments(objects)` when the caller prints them too (its keys find the objects
 * found valid before). `remember: false` (a process that renders once, `berth render --offline`)
 * keeps no verdict: building the keys of a render's objects is a copy of its whole YAML. A function
 * says it per object (by index): those it refuses are neither looked up nor remembered (objects the
 * caller keeps with their verdict itself, see manifestMemo.ts).
 */
export function validateObjects(
  objects: KubernetesObject[],
  version: string,
  printed: YamlDocuments = yamlDocuments(objects),
  opts: { remember?: boolean | ((i: number) => boolean) } = {},
): void {
  const minor = minorOf(version);
  const problems: Problem[] = [];
  const kept = opts.remember ?? true;
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i]!;
    const keep = typeof kept === 'function' ? kept(i) : kept;
    if (keep && known(minor, printed, i, o)) continue;
    const found = objectProblems(o, minor);
    if (found.length > 0) problems.push(...found);
    else if (keep) remember(minor, printed.key(i), o);
  }
  if (problems.length > 0)
    throw new ValidationError(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the Kubernetes objects (schemas of Kubernetes ${SCHEMA_KUBERNETES_VERSION}, checked for ${version})`,
      problems,
    );
}
