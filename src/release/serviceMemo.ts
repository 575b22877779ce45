/**
 * Per-service render results kept between renders of one app (the control plane's `berth render`,
 * asked for the same app again and again): a service whose every input equals an earlier render's
 * gets that render's result back, the same objects, so the manifest renderer downstream recognises
 * it too. An edit of one service of 200 renders one service.
 *
 * A memo belongs to one secret key (its `digestSecret`): the key of an entry is a digest of the
 * service's spec and of every value it reads, secrets included, so equal keys mean equal results.
 */
import { hash } from 'node:crypto';
import type { ServiceSpec } from '../spec/schema.js';
import { serviceDigest } from '../spec/specMeaning.js';
import type { ServiceState } from '../model/serviceState.js';
import type { RenderedService } from './rendered.js';
import { variablesIn } from '../spec/interpolate.js';
import { ownGet } from '../own.js';

/** What a service's render gave. */
export interface MemoizedService {
  rendered: RenderedService;
  state: ServiceState;
}

/**
 * How many renders' results a memo keeps: an entry no render used in the last four goes. The results
 * of a superseded config version is never asked for again, and holding them (states, and through them
 * the objects and YAML of ManifestMemo) only makes every garbage collection longer.
 */
const DEFAULT_RENDERS = 4;

/**
 * What every service's render reads besides its spec, its variables' values and its restart time.
 * Not the revision nor the config version: a service reads only the values it uses, and its state is
 * stamped with them when it is given back (`MemoizedService` of another render, `stamped`).
 */
export interface ServiceRenderContext {
  app: string;
  env: string;
  file: string;
  discoveryHash: string;
  discoveryApart: boolean;
}

export class ServiceRenderMemo {
  private readonly entries = new Map<string, { value: MemoizedService; render: number }>();
  /** The variables each service spec's templates use (specs are immutable values). */
  private readonly used = new WeakMap<ServiceSpec, string[]>();
  private readonly renders: number;
  private render = 0;

  constructor(renders = DEFAULT_RENDERS) {
    this.renders = renders;
  }

  /** Starts a render: entries that none of the last `renders` renders used are forgotten. */
  beginRender(): void {
    this.render++;
    const oldest = this.render - this.renders;
    for (const [key, entry] of this.entries) if (entry.render < oldest) this.entries.delete(key);
  }

  /** The render context as part of a key: one string per render, shared by its services. */
  static contextKey(context: ServiceRenderContext): string {
    return JSON.stringify(context);
  }

  /**
   * The key of one service's render: a digest (so no secret value is kept in it) of the spec, the
   * value of every variable its templates use, the config files it reads and the render context.
   */
  keyOf(
    name: string,
    svc: ServiceSpec,
    lookup: (v: string) => { value: string; secret: boolean } | undefined,
    configFiles: Record<string, { content: string; secret: boolean }>,
    contextKey: string,
  ): string {
    let used = this.used.get(svc);
    if (used === undefined) this.used.set(svc, (used = usedVariables(svc)));
    // One string hashed at once, with the spec's JSON as its digest (serviceDigest: made once per parsed
    // service, shared with the spec's meaning): every service's 1-2 KB of JSON hashed again and a Hash
    // object per service were a millisecond of every 200-service render. Values are length-prefixed, so
    // no two inputs run together.
    let text = `${name}\0${serviceDigest(svc)}\0`;
    for (const v of used) {
      const value = lookup(v);
      text += value === undefined ? '\u0001' : `${value.secret ? 's' : 'p'}${value.value.length}:${value.value}`;
    }
    for (const f of svc.files) {
      if (f.fromConfig === undefined) continue;
      const stored = ownGet(configFiles, f.fromConfig);
      text += stored ? `${stored.secret ? 's' : 'p'}${stored.content.length}:${stored.content}` : '\u0001';
    }
    return hash('sha256', text + contextKey, 'base64');
  }

  /** The result for `key`, its state stamped with this render's revision and config version. */
  get(key: string, stamp: { revision: number; configVersion: number }): MemoizedService | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    hit.render = this.render;
    const { state } = hit.value;
    if (state.revision === stamp.revision && state.configVersion === stamp.configVersion) return hit.value;
    // The same workload object: the manifest memo downstream finds the service by it.
    hit.value = { rendered: hit.value.rendered, state: { ...state, ...stamp } };
    return hit.value;
  }

  set(key: string, value: MemoizedService): void {
    this.entries.set(key, { value, render: this.render });
  }
}

/** The variables a service's templates use: env values, inline files, command, cwd and image. */
function usedVariables(svc: ServiceSpec): string[] {
  const templates = [
    ...Object.values(svc.env),
    ...svc.files.flatMap((f) => (f.fromConfig === undefined ? [f.content ?? ''] : [])),
    ...(svc.command ?? []),
    ...(svc.entrypoint ?? []),
    ...(svc.cwd === undefined ? [] : [svc.cwd]),
    ...(svc.image === undefined ? [] : [svc.image]),
  ];
  return [...new Set(templates.flatMap(variablesIn))].sort();
}
