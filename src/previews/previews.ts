/**
 * Preview environments (issue 17 point 5): a branch's or pull request's own environment, made from a
 * template environment like `berth env copy TEMPLATE NEW --app APP` (its settings and the app's config
 * set, created in one store transaction), renewed by every open, and closed — the apps there taken
 * down, the environment deleted — by a merge, by hand, or by the sweeper once its time to live is over.
 *
 * Every step is recorded before it is acted on (previewStore.ts: opening → open → closing → closed) and
 * each step can be done again, so a control plane stopped midway leaves a row the next open, close or
 * sweep finishes: an `opening` row whose environment exists is only marked open, a `closing` one is
 * closed again. Operations on one preview are serialized in this process. See docs/previews.md.
 */
import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { PreviewEnvironment, PreviewEnvironments } from '../model/delivery.js';
import { DNS_LABEL } from '../model/names.js';
import type { Database } from '../store/schema.js';
import type { ConfigSets } from '../config/configSets.js';
import type { Environment, Environments } from '../environment/environments.js';
import { copiedEnvironment } from '../environment/environmentCopy.js';
import { isPreviewKey, previewEnvName } from './previewNames.js';
import { previewRows, type PreviewRecord } from './previewStore.js';

/** A preview's time to live when its opener gives none: 72 hours after the last open. */
export const DEFAULT_PREVIEW_TTL_MS = 72 * 3_600_000;
/** The longest time to live: 90 days. */
export const MAX_PREVIEW_TTL_MS = 90 * 86_400_000;
/** How many times a close takes down what runs in the environment before it gives up (the sweeper retries). */
const CLOSE_ROUNDS = 3;

export interface PreviewDeps {
  db: Kysely<Database>;
  environments: Pick<Environments, 'get' | 'list' | 'delete'>;
  configSets: Pick<ConfigSets, 'current' | 'copyEnvironment'>;
  /** Takes `app` down in `env` (the runtime's remove, as `berth down`); resolves once its release finished. */
  takeDown(app: string, env: string, reason: string): Promise<void>;
  /** Called first when a preview closes (by hand, a pull request, the sweeper): stops what would still deploy there. */
  beforeClose?(app: string, key: string, reason: string): void | Promise<void>;
  /** A free port for the edge of a preview on this machine. */
  pickEdgePort(): Promise<number>;
  /** Milliseconds since the epoch; Date.now when absent (tests inject theirs). */
  now?: () => number;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export interface OpenRequest {
  app: string;
  key: string;
  template: string;
  ttlMs: number;
  author: string;
}

/** The previews' side of the pipelines (PreviewEnvironments) and what the API reads. */
export interface Previews extends PreviewEnvironments {
  open(req: OpenRequest): Promise<PreviewRecord>;
  /** Closes a preview and answers it as closed; undefined when `app` never had a preview `key`. */
  closePreview(app: string, key: string, reason: string): Promise<PreviewRecord | undefined>;
  /** One preview (closed ones too); NotFoundError when there is none. */
  get(app: string, key: string): Promise<PreviewRecord>;
  list(o?: { app?: string; closed?: boolean }): Promise<PreviewRecord[]>;
  /** Closes every preview whose time to live is over and finishes every close left midway; answers those closed. */
  sweep(): Promise<PreviewRecord[]>;
}

export function createPreviews(deps: PreviewDeps): Previews {
  const rows = previewRows(deps.db);
  const now = deps.now ?? Date.now;
  const iso = (ms: number): string => new Date(ms).toISOString();
  const log = deps.log ?? (() => undefined);
  const queues = new Map<string, Promise<unknown>>();

  /** Runs `fn` after every earlier operation on the same preview. */
  function serial<T>(app: string, key: string, fn: () => Promise<T>): Promise<T> {
    const id = `${app}/${key}`;
    const next = (queues.get(id) ?? Promise.resolve()).then(fn, fn);
    const settled = next.catch(() => undefined);
    queues.set(id, settled);
    void settled.then(() => {
      if (queues.get(id) === settled) queues.delete(id);
    });
    return next;
  }

  async function existing(name: string): Promise<Environment | undefined> {
    try {
      return await deps.environments.get(name);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** A port free on this machine that no environment names as an edge port (its app may not run now). */
  async function freeEdgePort(): Promise<number> {
    const named = new Set(
      (await deps.environments.list()).flatMap((e) =>
        e.target.kind === 'local' ? [e.target.edgePort ?? 0, ...Object.values(e.target.edgePorts ?? {})] : [],
      ),
    );
    for (let tries = 0; ; tries++) {
      const port = await deps.pickEdgePort();
      if (!named.has(port) || tries >= 20) return port;
    }
  }

  /** Makes the environment of an `opening` preview (unless a stopped open made it already), then records it open. */
  async function make(p: PreviewRecord): Promise<PreviewRecord> {
    let made = await existing(p.env);
    let edgePort = made?.target.kind === 'local' ? ownPort(made.target.edgePorts, p.app) : undefined;
    if (!made) {
      const template = await deps.environments.get(p.template);
      const copy = copiedEnvironment(template, p.env, { field: 'key' });
      if (copy.target.kind === 'local') {
        // Its own edge port, over berth.yaml's edge.port: the template's app keeps listening on its own.
        edgePort = await freeEdgePort();
        copy.target.edgePort = edgePort;
        copy.target.edgePorts = Object.fromEntries([[p.app, edgePort]]);
      }
      const hasConfig = (await deps.configSets.current(p.app, p.template)).version > 0;
      await deps.configSets.copyEnvironment({
        from: p.template,
        to: p.env,
        apps: hasConfig ? [p.app] : [],
        // A preview closed earlier left its config versions behind: the template's is copied over them.
        force: true,
        create: { name: p.env, target: JSON.stringify(copy.target), defaults: JSON.stringify(copy.defaults) },
        author: p.author,
      });
      made = await deps.environments.get(p.env);
      log('preview environment created', { app: p.app, key: p.key, env: p.env, template: p.template, edgePort });
    }
    const open: PreviewRecord = { ...withoutError(p), state: 'open', ...(edgePort === undefined ? {} : { edgePort }) };
    await rows.put(open);
    return open;
  }

  /** Takes down what runs in the preview's environment and deletes it, then records the preview closed. */
  async function finish(p: PreviewRecord): Promise<PreviewRecord> {
    const reason = p.closedReason ?? 'closed';
    try {
      await deps.beforeClose?.(p.app, p.key, reason);
      for (let round = 1; ; round++) {
        try {
          await deps.environments.delete(p.env);
          break;
        } catch (err) {
          if (err instanceof NotFoundError) break;
          const apps = err instanceof ConflictError ? err.details?.apps : undefined;
          if (!Array.isArray(apps) || round > CLOSE_ROUNDS) throw err;
          for (const app of apps) await deps.takeDown(String(app), p.env, reason);
        }
      }
    } catch (err) {
      await rows.put({ ...p, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    const closed: PreviewRecord = { ...withoutError(p), state: 'closed', closedAt: iso(now()) };
    await rows.put(closed);
    log('preview environment deleted', { app: p.app, key: p.key, env: p.env, reason });
    return closed;
  }

  async function closeNow(p: PreviewRecord, reason: string): Promise<PreviewRecord> {
    if (p.state === 'closed') return p;
    const closing: PreviewRecord = { ...p, state: 'closing', closedReason: p.closedReason ?? reason };
    await rows.put(closing);
    return finish(closing);
  }

  const previews: Previews = {
    async open(req) {
      checkOpen(req);
      const { app, key, template, ttlMs, author } = req;
      return serial(app, key, async () => {
        let p = await rows.get(app, key);
        if (p?.state === 'closing') p = await finish(p);
        const t = now();
        const times = { author, ttlMs, updatedAt: iso(t), expiresAt: iso(t + ttlMs) };
        if (p && p.state !== 'closed') {
          if (p.template !== template)
            throw new ConflictError(
              `preview ${key} of ${app} is made from ${p.template}, not ${template}: close it first (berth preview close ${app} ${key})`,
              { details: { app, key, env: p.env, template: p.template } },
            );
          p = { ...p, ...times };
          await rows.put(p);
          log('preview renewed', { app, key, env: p.env, expiresAt: p.expiresAt });
          return p.state === 'open' && (await existing(p.env)) ? p : make({ ...p, state: 'opening' });
        }
        const env = previewEnvName(template, key);
        const other = await rows.byEnv(env);
        if (other)
          throw new ConflictError(`environment ${env} is preview ${other.key} of ${other.app}`, {
            details: { env, app: other.app, key: other.key },
          });
        if (await existing(env))
          throw new ConflictError(`environment ${env} exists and is no preview: delete it or open another key`, {
            details: { env },
          });
        await deps.environments.get(template);
        const opening: PreviewRecord = { app, key, env, template, state: 'opening', createdAt: iso(t), ...times };
        await rows.put(opening);
        return make(opening);
      });
    },

    async close(app, key, reason) {
      await previews.closePreview(app, key, reason);
    },

    closePreview(app, key, reason) {
      return serial(app, key, async () => {
        const p = await rows.get(app, key);
        return p && closeNow(p, reason);
      });
    },

    async get(app, key) {
      const p = await rows.get(app, key);
      if (!p) throw new NotFoundError(`${app} has no preview ${key} (berth preview list --app ${app})`);
      return p;
    },

    list: (o) => rows.list(o),

    async sweep() {
      const closed: PreviewRecord[] = [];
      for (const due of await rows.due(iso(now()))) {
        try {
          const p = await serial(due.app, due.key, async () => {
            // Read again: it may have been renewed or closed since.
            const cur = await rows.get(due.app, due.key);
            if (!cur || cur.state === 'closed') return undefined;
            if (cur.state !== 'closing' && Date.parse(cur.expiresAt) > now()) return undefined;
            return closeNow(cur, 'expired');
          });
          if (p) closed.push(p);
        } catch (err) {
          log('preview close failed: tried again at the next sweep', {
            app: due.app,
            key: due.key,
            env: due.env,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }
      return closed;
    },
  };
  return previews;
}

/** The contract's view of a record. */
export const previewEnvironmentOf = (p: PreviewRecord): PreviewEnvironment => ({
  app: p.app,
  key: p.key,
  env: p.env,
  template: p.template,
  createdAt: p.createdAt,
  expiresAt: p.expiresAt,
});

function withoutError(p: PreviewRecord): PreviewRecord {
  const { error: _error, ...rest } = p;
  return rest;
}

function ownPort(ports: Record<string, number> | undefined, app: string): number | undefined {
  return ports && Object.hasOwn(ports, app) ? ports[app] : undefined;
}

function checkOpen(req: OpenRequest): void {
  const problems = [];
  if (!DNS_LABEL.test(req.app) || req.app.length > 63)
    problems.push({ path: 'app', message: 'must be an app name: lowercase letters, digits and -' });
  if (!isPreviewKey(req.key))
    problems.push({ path: 'key', message: 'must be a DNS label (lowercase letters, digits and -, at most 63)' });
  if (!Number.isInteger(req.ttlMs) || req.ttlMs <= 0 || req.ttlMs > MAX_PREVIEW_TTL_MS)
    problems.push({ path: 'ttl', message: 'must be a duration longer than 0 and at most 90 days (2160h)' });
  if (problems.length > 0) throw new ValidationError(`cannot open preview ${req.key} of ${req.app}`, problems);
}
