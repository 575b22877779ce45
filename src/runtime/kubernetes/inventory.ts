/**
 * What Berth has in the namespace for an app in an environment: listed once per release (one LIST
 * per kind, by the app's labels) and kept up to date by the runtime's own applies and deletes, so
 * pruning a service needs no LIST of its own (a release of 200 services made 10 LISTs per service).
 * A new release key (another revision, a canary's) lists again, so what another client changed
 * between releases is seen; `forget` drops an app's.
 */
import type { KubeClients } from './client.js';
import { labelsOf, SERVICE_KINDS } from './kinds.js';
import type { KubernetesObject } from './manifests/contract.js';
import { listLabelled } from './prune.js';

const id = (o: KubernetesObject): string => `${o.apiVersion}|${o.kind}|${o.metadata.name}`;

interface Entry {
  release: string;
  objects: Promise<Map<string, KubernetesObject>>;
}

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
    const key = `${app}/${env}`;
    const known = this.apps.get(key);
    if (known?.release === release) return known.objects;
    const objects = listLabelled(this.clients(), this.namespace, labelsOf(app, env), SERVICE_KINDS).then(
      (list) => new Map(list.map((o) => [id(o), o])),
    );
    const entry = { release, objects };
    this.apps.set(key, entry);
    // A failed list is made again by the next caller.
    objects.catch(() => {
      if (this.apps.get(key) === entry) this.apps.delete(key);
    });
    return objects;
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
