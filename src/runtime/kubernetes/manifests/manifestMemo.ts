/**
 * The manifest renderer for a control plane that renders the same app again and again: a service
 * whose state is the very object an earlier render had (the release render's per-service memo gives
 * it back when nothing it reads changed) and whose context is the same gets that render's objects,
 * with their YAML and their schema verdict, instead of building, validating and printing them again.
 */
import type { ServiceState } from '../../../model/serviceState.js';
import type { KubernetesObject, ManifestInput } from './contract.js';
import { appObjectsIn, manifestScope, serviceObjectsIn, sortedBy, throwRenderProblems } from './render.js';
import { validateObjects } from './validate.js';
import { yamlDocuments } from './toYaml.js';
import { DEFAULT_KUBERNETES_VERSION } from './versions.js';

/** Objects and each one's YAML document (same order): a render's in apply order, or one service's. */
export interface MemoizedRender {
  objects: KubernetesObject[];
  documents: string[];
}

/** Contexts remembered per state: one state is rendered for a few namespaces or versions at most. */
const CONTEXTS_PER_STATE = 4;

export class ManifestMemo {
  private readonly byState = new WeakMap<ServiceState, Map<string, MemoizedRender>>();

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
    // Only what was built now is printed and checked against the schemas; a problem throws, so
    // nothing with a problem is ever remembered.
    const built = [...fresh.flatMap((f) => f.objects), ...app];
    const printed = yamlDocuments(built);
    validateObjects(built, version, printed);
    const documents = new Map<KubernetesObject, string>(built.map((o, i) => [o, printed.docs[i]!]));
    for (const f of fresh) {
      let contexts = this.byState.get(f.state);
      if (!contexts) this.byState.set(f.state, (contexts = new Map()));
      if (contexts.size >= CONTEXTS_PER_STATE) contexts.clear();
      contexts.set(f.key, { objects: f.objects, documents: f.objects.map((o) => documents.get(o)!) });
    }
    const sorted = sortedBy(pairs, ([o]) => o);
    return { objects: sorted.map(([o]) => o), documents: sorted.map(([o, d]) => d || documents.get(o)!) };
  }
}
