/**
 * The manifest renderer for a control plane that renders the same app again and again: a service
 * whose workload is the very object an earlier render had (the release render's per-service memo
 * gives it back when nothing it reads changed) and whose other inputs are the same gets that render's
 * objects, with their YAML and their schema verdict, instead of building, validating and printing
 * them again. The render's revision and config version are not among those inputs: they are only
 * stamped on each object's annotations, so another config version that this service does not read
 * restamps its objects and documents (a few string slices) instead of rendering them again.
 */
import type { ServiceState } from '../../../model/serviceState.js';
import type { Workload } from '../../../model/workload.js';
import { ANNOTATION, type KubernetesObject, type ManifestInput } from './contract.js';
import {
  appObjectsIn,
  manifestScope,
  serviceBuildIn,
  serviceConfigIn,
  sortedBy,
  throwRenderProblems,
  type ManifestScope,
} from './render.js';
import { validateObjects } from './validate.js';
import { recut, restamp, stampText, yamlDocuments, type CutDocument, type Stamps } from './toYaml.js';
import { sameButReleaseValues } from './sameObject.js';
import { DEFAULT_KUBERNETES_VERSION } from './versions.js';
import {
  configMapRecut,
  releaseStamps,
  restampObject,
  samePartsButHash,
  sameShell,
  shellRestampable,
  type ReleaseStamps,
} from './valueRestamp.js';

/** Objects and each one's YAML document (same order): a render's in apply order, or one service's. */
export interface MemoizedRender {
  objects: KubernetesObject[];
  documents: string[];
}

/** One service's objects as a render made them, and what they are stamped with. */
interface Memoized extends MemoizedRender {
  /** Each document with where it prints its release annotation values (none for an object that is not JSON-shaped). */
  cut: (CutDocument | undefined)[];
  /** The revision and config version (as printed) the objects carry. */
  values: readonly [string, string];
  /** Whether they can be restamped with another revision and config version (else only an equal render reuses them). */
  restampable: boolean;
  /** Characters of its documents, for the memo's bound. */
  chars: number;
  /** What restamps them for another workload of the same shell (valueRestamp.ts), when they can be. */
  shell?: Shell;
}

/** A service's objects as valueRestamp.ts restamps them when only its values change. */
interface Shell {
  /** The workload, scope and other inputs (see `keyParts`) they were rendered from. */
  workload: Workload;
  common: string;
  parts: unknown[];
  /** The config objects (ConfigMap, Secret) come first and are built again; then the restamped ones. */
  configCount: number;
  /** Where each restamped object holds its release values (see valueRestamp.ts). */
  stamps: ReleaseStamps[];
}

/** Contexts remembered per workload: one is rendered for a few namespaces or versions at most. */
const CONTEXTS_PER_WORKLOAD = 4;
/**
 * Characters of YAML the memo holds (their objects take about as much again): ~4 renders of the
 * 200-service benchmark app (1 MB each). Beyond it the least recently used services' go. Holding
 * more makes every major garbage collection of the control plane longer, for renders (superseded
 * config versions) rarely asked for again.
 */
const DEFAULT_MAX_CHARS = 4_000_000;
/** Services whose last objects are kept to compare a rebuilt service's with (see sameObject.ts). */
const MAX_LAST = 512;

/**
 * A service's objects in one context: the scope's inputs (`common`, one string per render) and the
 * service's other inputs (`keyParts`), compared by identity first and as JSON only when they are not
 * the very values (so a service whose workload is new, most of a config change, encodes nothing).
 */
interface Context {
  common: string;
  parts: unknown[];
  json?: string;
  memoized: Memoized;
}

export class ManifestMemo {
  /** By workload, least recently used first; then its contexts (a few: see CONTEXTS_PER_WORKLOAD). */
  private readonly byWorkload = new Map<Workload, Context[]>();
  private chars = 0;
  private readonly maxChars: number;
  /** Each service's last objects, by Kubernetes version, app, env and name, least recently set first. */
  private readonly last = new Map<string, Memoized>();
  /** The app's own last objects (discovery ConfigMap, claims, Ingress...), by Kubernetes version, app and env. */
  private readonly lastApp = new Map<string, Pick<Memoized, 'objects' | 'cut'>>();

  constructor(maxChars = DEFAULT_MAX_CHARS) {
    this.maxChars = maxChars;
  }

  /** Characters of YAML held (bounded by the constructor's `maxChars`). */
  get heldChars(): number {
    return this.chars;
  }

  /** Renders, validates and prints `input`'s objects, reusing those of unchanged services. */
  render(input: ManifestInput): MemoizedRender {
    const version = input.options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION;
    const scope = manifestScope(input);
    const values = [String(input.revision), String(input.configVersion)] as const;
    // What every service's objects read besides its own state, shape and secret digests.
    const common = JSON.stringify([
      input.app,
      input.env,
      input.options,
      input.routes,
      scope.discoveryHex,
      scope.shared !== undefined,
    ]);
    const pairs: [KubernetesObject, string][] = [];
    const fresh: Fresh[] = [];
    const cut = new Map<KubernetesObject, CutDocument>();
    for (const name of Object.keys(input.services).sort()) {
      const state = input.services[name]!;
      const parts = keyParts(state, input, name, scope.shared !== undefined);
      const known = this.lookup(state.workload, common, parts, values);
      if (known) {
        for (let i = 0; i < known.objects.length; i++) pairs.push([known.objects[i]!, known.documents[i]!]);
        continue;
      }
      const before = scope.problems.length;
      const lastKey = JSON.stringify([version, input.app, input.env, name]);
      const prev = this.last.get(lastKey);
      const f =
        (prev && shellRestamped(prev, { scope, name, state, common, parts, values }, cut)) ??
        builtService(scope, name, common, parts);
      if (scope.problems.length === before) fresh.push({ ...f, workload: state.workload, parts, lastKey });
      for (const o of f.objects) pairs.push([o, '']);
    }
    const app = appObjectsIn(scope);
    for (const o of app) pairs.push([o, '']);
    throwRenderProblems(scope);
    // A rebuilt service's objects that print as its last ones but for their release annotation values
    // take those documents, recut; only the others are printed and checked against the schemas. A
    // problem throws, so nothing with a problem is ever remembered.
    for (const f of fresh) {
      const prev = this.last.get(f.lastKey);
      if (prev) for (const o of f.objects) if (!cut.has(o)) reuse(prev, o, cut);
    }
    // The app's objects too: its discovery ConfigMap (three variables per service) is rarely new.
    const appKey = JSON.stringify([version, input.app, input.env]);
    const prevApp = this.lastApp.get(appKey);
    if (prevApp) for (const o of app) reuse(prevApp, o, cut);
    const own = fresh.flatMap((f) => f.objects.filter((o) => !cut.has(o)));
    const built = [...own, ...app.filter((o) => !cut.has(o))];
    const printed = yamlDocuments(built);
    // A service's objects are remembered here with their verdict (and found again by `reuse` when
    // they print as its last ones): the shared verdicts (a copy of each document, kept beside this
    // memo's, looked up by a string made per object) are only for the app's objects.
    validateObjects(built, version, printed, { remember: (i) => i >= own.length });
    for (let i = 0; i < built.length; i++) {
      const c = printed.cuts(i);
      cut.set(built[i]!, {
        doc: printed.docs[i]!,
        cuts: c,
        stamps: printed.stamps(i),
        ...(printed.keyed(i) ? {} : { unfaithful: true }),
      });
    }
    this.lastApp.delete(appKey);
    this.lastApp.set(appKey, { objects: app, cut: app.map((o) => unlessUnfaithful(cut.get(o)!)) });
    if (this.lastApp.size > MAX_LAST) this.lastApp.delete(this.lastApp.keys().next().value!);
    for (const f of fresh) {
      const m = memoized(
        f.objects,
        f.objects.map((o) => cut.get(o)!),
        values,
      );
      const shell = f.shell ?? (f.candidate && shellOf(f.candidate, m, values));
      if (shell) m.shell = shell;
      this.remember(f.workload, { common, parts: f.parts, memoized: m });
      this.last.delete(f.lastKey);
      this.last.set(f.lastKey, m);
      if (this.last.size > MAX_LAST) this.last.delete(this.last.keys().next().value!);
    }
    const sorted = sortedBy(pairs, ([o]) => o);
    return { objects: sorted.map(([o]) => o), documents: sorted.map(([o, d]) => d || cut.get(o)!.doc) };
  }

  /** A service's objects for its context, stamped with `values`; undefined when they must be built. */
  private lookup(
    workload: Workload,
    common: string,
    parts: unknown[],
    values: readonly [string, string],
  ): Memoized | undefined {
    const contexts = this.byWorkload.get(workload);
    const context = contexts && find(contexts, common, parts);
    if (!contexts || !context) return undefined;
    // Most recently used last.
    this.byWorkload.delete(workload);
    this.byWorkload.set(workload, contexts);
    const known = context.memoized;
    if (known.values[0] === values[0] && known.values[1] === values[1]) return known;
    if (!known.restampable) return undefined;
    const stamped = restamped(known, values);
    context.memoized = stamped;
    this.chars += stamped.chars - known.chars;
    return stamped;
  }

  private remember(workload: Workload, entry: Context): void {
    let contexts = this.byWorkload.get(workload);
    if (!contexts) this.byWorkload.set(workload, (contexts = []));
    const old = find(contexts, entry.common, entry.parts);
    if (old) {
      this.chars -= old.memoized.chars;
      contexts.splice(contexts.indexOf(old), 1);
    } else if (contexts.length >= CONTEXTS_PER_WORKLOAD) {
      for (const e of contexts) this.chars -= e.memoized.chars;
      contexts.length = 0;
    }
    contexts.push(entry);
    this.chars += entry.memoized.chars;
    for (const [w, oldest] of this.byWorkload) {
      if (this.chars <= this.maxChars) break;
      if (w === workload) continue;
      for (const e of oldest) this.chars -= e.memoized.chars;
      this.byWorkload.delete(w);
    }
  }
}

/** The context of `contexts` for `common` and `parts`: by identity of the parts, else by their JSON. */
function find(contexts: Context[], common: string, parts: unknown[]): Context | undefined {
  let json: string | undefined;
  for (const c of contexts) {
    if (c.common !== common || c.parts.length !== parts.length) continue;
    if (c.parts.every((p, i) => p === parts[i])) return c;
    json ??= JSON.stringify(parts);
    if ((c.json ??= JSON.stringify(c.parts)) === json) return c;
  }
  return undefined;
}

/**
 * A service's inputs besides its workload and the scope's, as references: the rest of its state (but
 * the revision and config version, which are stamps), its discovery when no shared ConfigMap holds
 * it, its shape and its secret digests. A canary's objects carry the canary's revision, which a
 * restamp would overwrite with the render's: its inputs keep the render's revision and config
 * version. Compared by identity first (a state the release memo gave back, stamped anew, holds the
 * very values of the state it was made from), JSON-encoded into the memo's key otherwise.
 */
function keyParts(state: ServiceState, input: ManifestInput, name: string, shared: boolean): unknown[] {
  const parts: unknown[] = [];
  for (const k of Object.keys(state) as (keyof ServiceState)[]) {
    if (k === 'revision' || k === 'configVersion' || k === 'workload' || (k === 'discovery' && shared)) continue;
    if (state[k] !== undefined) parts.push(k, state[k]);
  }
  parts.push(shared, input.shapes?.[name], input.secretDigests?.[name], input.canarySecretDigests?.[name]);
  if (state.canary) parts.push(input.revision, input.configVersion);
  return parts;
}

/** Takes `prev`'s document of `o`, recut, when `o` prints as `prev`'s object of its kind and name but for release values. */
function reuse(
  prev: Pick<Memoized, 'objects' | 'cut'>,
  o: KubernetesObject,
  cut: Map<KubernetesObject, CutDocument>,
): void {
  for (let i = 0; i < prev.objects.length; i++) {
    const old = prev.objects[i]!;
    if (old.kind !== o.kind || old.metadata.name !== o.metadata.name) continue;
    const d = prev.cut[i];
    const values: string[] = [];
    if (d && sameButReleaseValues(old, o, values) && values.length === (d.cuts?.length ?? 0) / 2)
      cut.set(o, recut(d, values));
    return;
  }
}

/**
 * What to remember of one service's objects and their documents. They can be restamped when every
 * object carries the render's revision and config version in its metadata's annotations and its
 * document prints exactly those, where the emitter found them.
 */
function memoized(objects: KubernetesObject[], docs: CutDocument[], values: readonly [string, string]): Memoized {
  let chars = 0;
  let restampable = true;
  const texts = [stampText(values[0]), stampText(values[1])] as const;
  for (let i = 0; i < objects.length; i++) {
    const d = docs[i]!;
    chars += d.doc.length;
    if (restampable && !(d.unfaithful !== true && d.stamps && stampsMatch(objects[i]!, d.doc, d.stamps, values, texts)))
      restampable = false;
  }
  return {
    objects,
    documents: docs.map((d) => d.doc),
    cut: docs.map(unlessUnfaithful),
    values,
    restampable,
    chars,
  };
}

/** Whether `doc`'s stamps are the object's own two annotations, printed as `values` (`texts`, printed). */
function stampsMatch(
  obj: KubernetesObject,
  doc: string,
  stamps: Stamps,
  values: readonly [string, string],
  texts: readonly [string, string],
): boolean {
  const a = obj.metadata.annotations;
  if (
    stamps.length !== 6 ||
    a?.[ANNOTATION.revision] !== values[0] ||
    a[ANNOTATION.configVersion] !== values[1] ||
    stamps[0] === stamps[3]
  )
    return false;
  // Compared in place: a slice per stamp of every object was garbage.
  for (let i = 0; i < stamps.length; i += 3) {
    const text = texts[stamps[i]!]!;
    if (stamps[i + 2]! - stamps[i + 1]! !== text.length || !doc.startsWith(text, stamps[i + 1])) return false;
  }
  return true;
}

/** `known` stamped with `values`: new documents, and objects copied as far as their annotations. */
function restamped(known: Memoized, values: readonly [string, string]): Memoized {
  const objects: KubernetesObject[] = [];
  const cut: CutDocument[] = [];
  let chars = 0;
  for (let i = 0; i < known.objects.length; i++) {
    const o = known.objects[i]!;
    objects.push({
      ...o,
      metadata: {
        ...o.metadata,
        annotations: {
          ...o.metadata.annotations,
          [ANNOTATION.revision]: values[0],
          [ANNOTATION.configVersion]: values[1],
        },
      },
    });
    // A restampable service's documents are all JSON-shaped, with their stamps.
    const d = restamp(known.cut[i]!, values);
    cut.push(d);
    chars += d.doc.length;
  }
  return {
    objects,
    documents: cut.map((d) => d.doc),
    cut,
    values,
    restampable: true,
    chars,
    ...(known.shell ? { shell: known.shell } : {}),
  };
}

/** A service built or restamped in a render, before the memo files it. */
interface Fresh {
  workload: Workload;
  parts: unknown[];
  lastKey: string;
  objects: KubernetesObject[];
  /** Its shell, when restamped from its last objects. */
  shell?: Shell;
  /** What its shell is made of, when built and it could be restamped next time (see `shellOf`). */
  candidate?: Candidate;
}

interface Candidate {
  state: ServiceState;
  common: string;
  parts: unknown[];
  configCount: number;
  checksum: string;
}

/** A service's objects built (`serviceBuildIn`), and what would let them be restamped next time. */
function builtService(
  scope: ManifestScope,
  name: string,
  common: string,
  parts: unknown[],
): Omit<Fresh, 'workload' | 'parts' | 'lastKey'> {
  const { objects, ctx, tracked } = serviceBuildIn(scope, name);
  const { state, config } = ctx;
  if (!shellRestampable(state, ctx.shape, tracked, scope.shared !== undefined)) return { objects };
  let configCount = 0;
  while (
    configCount < objects.length &&
    (objects[configCount]!.metadata.name === config.configMapName ||
      objects[configCount]!.metadata.name === config.secretName)
  )
    configCount++;
  return { objects, candidate: { state, common, parts, configCount, checksum: config.checksum } };
}

/** The shell of a built service's memoized objects: none when one holds a release value elsewhere. */
function shellOf(c: Candidate, m: Memoized, values: readonly [string, string]): Shell | undefined {
  const now = [values[0], values[1], c.state.hash, c.checksum];
  const stamps: ReleaseStamps[] = [];
  for (let i = c.configCount; i < m.objects.length; i++) {
    const p = releaseStamps(m.objects[i]!, now);
    const d = m.cut[i];
    if (!p || !d || (d.cuts?.length ?? 0) !== p.roles.length * 2) return undefined;
    stamps.push(p);
  }
  return { workload: c.state.workload, common: c.common, parts: c.parts, configCount: c.configCount, stamps };
}

/**
 * A service's objects restamped from `prev` when only its values changed (valueRestamp.ts): its config
 * objects built, the others' documents recut into `cut`; undefined when anything else changed.
 */
function shellRestamped(
  prev: Memoized,
  now: {
    scope: ManifestScope;
    name: string;
    state: ServiceState;
    common: string;
    parts: unknown[];
    values: readonly [string, string];
  },
  cut: Map<KubernetesObject, CutDocument>,
): Omit<Fresh, 'workload' | 'parts' | 'lastKey'> | undefined {
  const sh = prev.shell;
  const { scope, state } = now;
  if (
    !sh ||
    sh.common !== now.common ||
    !samePartsButHash(sh.parts, now.parts) ||
    !sameShell(sh.workload, state.workload, scope.discovery)
  )
    return undefined;
  const before = scope.problems.length;
  const { objects, ctx } = serviceConfigIn(scope, now.name);
  if (objects.length !== sh.configCount) {
    scope.problems.length = before;
    return undefined;
  }
  // A ConfigMap whose values alone changed prints its data again, not its metadata, and is not checked again.
  for (let i = 0; i < objects.length; i++) {
    const d = prev.cut[i];
    const again = d && configMapRecut(prev.objects[i]!, d, objects[i]!);
    if (again) cut.set(objects[i]!, again);
  }
  const values = [now.values[0], now.values[1], state.hash, ctx.config.checksum];
  for (let j = 0; j < sh.stamps.length; j++) {
    const i = sh.configCount + j;
    const { plan, roles } = sh.stamps[j]!;
    const o = restampObject(prev.objects[i]!, plan, values);
    cut.set(
      o,
      recut(
        prev.cut[i]!,
        roles.map((r) => values[r]),
      ),
    );
    objects.push(o);
  }
  return { objects, shell: { ...sh, workload: state.workload, common: now.common, parts: now.parts } };
}

/** `d`, or none when its object is not JSON-shaped (its document cannot be recut). */
function unlessUnfaithful(d: CutDocument): CutDocument | undefined {
  return d.unfaithful ? undefined : d;
}
