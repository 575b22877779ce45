/**
 * What Berth has in the namespace for an app in an environment: listed once per release (one LIST
 * per kind of every object Berth manages in the namespace, `managed-by=berth`) and kept up to date
 * by the runtime's own applies and deletes, so pruning a service needs no LIST of its own (a release
 * of 200 services made 10 LISTs per service). The same LISTs give the other apps' and environments'
 * objects, whose names a release must not take (ownership.ts). A new release key (another
 * revision, a canary's) lists again, so what another client changed between releases is seen;
 * `forget` drops an app's.
 */
import type { KubeClients } from './client.js';
import { CLAIM_KIND, hasLabels, isClaim, labelsOf, SERVICE_KINDS } from './kinds.js';
import { LABEL } from './manifests/contract.js';
import type { KubernetesObject } from './manifests/contract.js';
import { listLabelled } from './prune.js';

const id = (o: KubernetesObject): string => `${o.apiVersion}|${o.kind}|${o.metadata.name}`;

interface Entry {
  release: string;
  objects: Promise<Map<string, KubernetesObject>>;
  /** Berth's objects of other apps and environments in the namespace (claims included). */
  others: Promise<KubernetesObject[]>;
}

/** Every object Berth manages in a namespace carries this label. */
const BERTH = { [LABEL.managedBy]: 'berth' };

export class Inventory {
  private readonly apps = new Map<string, Entry>();
  private readonly clients: () => KubeClients;
  private readonly namespace: string;

  constructor(clients: () => KubeClients, namespace: string) {
    this.clients = clients;
    this.namespace = namespace;
  }

  /** The app's live objects of the service kinds, listed once per `release` (concurrent callers share it). */
  of(app: string, env: string, release: string): Promise<Map<string, KubernetesObject>> {
    return this.entry(app, env, release).objects;
  }

  /** The objects of other apps and environments in the namespace, as listed for `release`. */
  others(app: string, env: string, release: string): Promise<KubernetesObject[]> {
    return this.entry(app, env, release).others;
  }

  private entry(app: string, env: string, release: string): Entry {
    const key = `${app}/${env}`;
    const known = this.apps.get(key);
    if (known?.release === release) return known;
    const labels = labelsOf(app, env);
    const all = listLabelled(this.clients(), this.namespace, BERTH, [...SERVICE_KINDS, CLAIM_KIND]);
    // Claims are never the app's to prune: only other apps' names to avoid.
    const objects = all.then(
      (list) => new Map(list.filter((o) => !isClaim(o) && hasLabels(o, labels)).map((o) => [id(o), o])),
    );
    const others = all.then((list) => list.filter((o) => !hasLabels(o, labels)));
    const entry = { release, objects, others };
    this.apps.set(key, entry);
    // A failed list is made again by the next caller.
    objects.catch(() => {
      if (this.apps.get(key) === entry) this.apps.delete(key);
    });
    others.catch(() => undefined);
    return entry;
  }

  /** Records objects the runtime applied (a no-op when the app's objects are not listed yet). */
  async applied(app: string, env: string, objects: KubernetesObject[]): Promise<void> {
    const m = await this.apps.get(`${app}/${env}`)?.objects.catch(() => undefined);
    for (const o of objects) m?.set(id(o), o);
  }

  /** Records objects the runtime deleted. */
  async deleted(app: string, env: string, objects: KubernetesObject[]): Promise<void> {
    const m = await this.apps.get(`${app}/${env}`)?.objects.catch(() => undefined);
    for (const o of objects) m?.delete(id(o));
  }

  forget(app: string, env: string): void {
    this.apps.delete(`${app}/${env}`);
  }
}
