/**
 * The manifest renderer for a control plane that renders the same app again and again: a service
 * whose state is the very object an earlier render had (the release render's per-service memo gives
 * it back when nothing it reads changed) and whose context is the same gets that render's objects,
 * with their YAML and their schema verdict, instead of building, validating and printing them again.
 */
import type { ServiceState } from '../../runtime.js';
import type { KubernetesObject, ManifestInput } from './contract.js';
import { appObjectsIn, manifestScope, serviceObjectsIn, sortObjects, throwRenderProblems } from './render.js';
import { validateObjects } from './validate.js';
import { objectToYaml } from './toYaml.js';
import { DEFAULT_KUBERNETES_VERSION } from './versions.js';

/** A render: the objects in apply order, and each one's YAML document (same order). */
export interface MemoizedRender {
  objects: KubernetesObject[];
  documents: string[];
}

interface ServiceObjects {
  objects: KubernetesObject[];
  documents: string[];
}

/**
 * The same string, flattened: a document is built by concatenation (a tree of pieces in V8), and a
 * tree is flattened each time it is joined into a render; flattened once here, joining the ~800
 * documents of a 200-service render takes ~1 ms instead of ~6. (Converting to a number flattens.)
 */
function flat(s: string): string {
  void Number(s);
  return s;
}

/** Contexts remembered per state: one state is rendered for a few namespaces or versions at most. */
const CONTEXTS_PER_STATE = 4;

export class ManifestMemo {
  private readonly byState = new WeakMap<ServiceState, Map<string, ServiceObjects>>();

  /** Renders, validates and prints `input`'s objects, reusing those of unchanged services. */
  render(input: ManifestInput): MemoizedRender {
    const version = input.options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION;
    const scope = manifestScope(input);
    // What every service's objects read besides its own state, shape and secret digests.
    const common = JSON.stringify([
      input.app,
      input.env,
      input.revision,
      input.configVersion,
      input.options,
      input.routes,
      scope.discoveryHex,
      scope.shared !== undefined,
    ]);
    const pairs: [KubernetesObject, string][] = [];
    const fresh: { state: ServiceState; key: string; objects: KubernetesObject[] }[] = [];
    for (const name of Object.keys(input.services).sort()) {
      const state = input.services[name]!;
      const key = `${common}${JSON.stringify([
        input.shapes?.[name],
        input.secretDigests?.[name],
        input.canarySecretDigests?.[name],
      ])}`;
      const known = this.byState.get(state)?.get(key);
      if (known) {
        for (let i = 0; i < known.objects.length; i++) pairs.push([known.objects[i]!, known.documents[i]!]);
        continue;
      }
      const before = scope.problems.length;
      const objects = serviceObjectsIn(scope, name);
      if (scope.problems.length === before) fresh.push({ state, key, objects });
      for (const o of objects) pairs.push([o, '']);
    }
    const app = appObjectsIn(scope);
    for (const o of app) pairs.push([o, '']);
    throwRenderProblems(scope);
    // Only what was built now is checked against the schemas; a problem throws, so nothing with
    // a problem is ever remembered.
    validateObjects([...fresh.flatMap((f) => f.objects), ...app], version);
    const documents = new Map<KubernetesObject, string>();
    for (const f of fresh) {
      const docs = f.objects.map((o) => {
        const doc = flat(objectToYaml(o));
        documents.set(o, doc);
        return doc;
      });
      let contexts = this.byState.get(f.state);
      if (!contexts) this.byState.set(f.state, (contexts = new Map()));
      if (contexts.size >= CONTEXTS_PER_STATE) contexts.clear();
      contexts.set(f.key, { objects: f.objects, documents: docs });
    }
    for (const o of app) documents.set(o, objectToYaml(o));
    const objects = sortObjects(pairs.map(([o]) => o));
    const docOf = new Map(pairs.map(([o, d]) => [o, d || documents.get(o)!]));
    return { objects, documents: objects.map((o) => docOf.get(o)!) };
  }
}
