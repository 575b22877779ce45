/**
 * Preview environments on a real SQLite store with the real environments and config sets: names made
 * from branches, an open that copies the template's settings and the app's config (secrets sealed),
 * renewal, an idempotent close that takes down what runs there, the sweep of expired previews with an
 * injected clock, and a control plane stopped between making the environment and recording it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/store.js';
import { createEnvironments, type Environments } from '../environment/environments.js';
import { createConfigSets, type ConfigSets } from '../config/configSets.js';
import { loadSecretBox } from '../config/secretBox.js';
import { ConflictError, ValidationError } from '../errors.js';
import { branchKey, previewEnvName } from './previewNames.js';
import { createPreviews, DEFAULT_PREVIEW_TTL_MS, type PreviewDeps, type Previews } from './previews.js';

const HOUR = 3_600_000;

describe('preview names', () => {
  it('makes a branch a DNS label, and the environment <template>-<key> of at most 32 characters', () => {
    expect(branchKey('feature/Login_Page')).toBe('feature-login-page');
    expect(branchKey('--Fix..it--')).toBe('fix-it');
    expect(branchKey('émoji/✓')).toBe('moji');
    expect(branchKey('///')).toMatch(/^branch-[0-9a-f]{8}$/);
    const long = `feature/${'x'.repeat(80)}`;
    expect(branchKey(long)).toHaveLength(63);
    expect(branchKey(long)).toMatch(/^feature-x+-[0-9a-f]{6}$/);
    expect(branchKey(long)).not.toBe(branchKey(`${long}y`));
    expect(previewEnvName('staging', 'pr-12')).toBe('staging-pr-12');
    const a = previewEnvName('staging', 'feature-login-page-and-more');
    const b = previewEnvName('staging', 'feature-login-page-and-mord');
    expect(a).toMatch(/^staging-feature-login-pag-[0-9a-f]{6}$/);
    expect(a.length).toBeLessThanOrEqual(32);
    expect(a).not.toBe(b);
    // A cut at a `-` does not leave `--`.
    expect(previewEnvName('local', 'abcdefghijklmnopqr-tuvwxyz12')).toMatch(/^local-abcdefghijklmnopqr-[0-9a-f]{6}$/);
  });
});

describe('preview environments', () => {
  let dir: string;
  let store: Store;
  let envs: Environments;
  let config: ConfigSets;
  let clock: number;
  let downs: string[];
  let ports: number;

  /** What runs: the last release of each app there a deploy (running) or a down. */
  async function deployed(app: string, env: string, kind: 'deploy' | 'down'): Promise<void> {
    const last = await store.db
      .selectFrom('releases')
      .select((eb) => eb.fn.max('revision').as('r'))
      .where('app', '=', app)
      .where('env', '=', env)
      .executeTakeFirst();
    await store.db
      .insertInto('releases')
      .values({
        app,
        env,
        revision: (last?.r ?? 0) + 1,
        kind,
        status: 'succeeded',
        reason: null,
        spec: '{}',
        spec_digest: 'd',
        spec_file: 'berth.yaml',
        config_version: 0,
        rendered: '{}',
        source_revision: null,
        author: 't',
        message: null,
        started_at: null,
        finished_at: null,
        cancel_request: null,
      })
      .execute();
  }

  const resolved = async (app: string, env: string) =>
    config.resolve(app, env, (await config.current(app, env)).version);

  function previewsWith(over: Partial<PreviewDeps> = {}): Previews {
    return createPreviews({
      db: store.db,
      environments: envs,
      configSets: config,
      // The engine's down, as far as the store sees it: a succeeded `down` release.
      takeDown: async (app, env, reason) => {
        downs.push(`${app}@${env}: ${reason}`);
        await deployed(app, env, 'down');
      },
      pickEdgePort: async () => ++ports,
      now: () => clock,
      ...over,
    });
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-previews-'));
    store = await openStore({ file: join(dir, 'berth.db') });
    envs = createEnvironments(store.db);
    config = createConfigSets(store.db, await loadSecretBox(dir));
    clock = Date.parse('2026-12-06T10:00:00Z');
    downs = [];
    ports = 41000;
    await envs.create({ name: 'staging', target: { kind: 'local', edgePort: 9100 }, defaults: { REGION: 'eu' } });
    await config.write('shop', 'staging', {
      baseVersion: 0,
      author: 't',
      set: { GREETING: { value: 'hi' }, TOKEN: { value: 's3cret', secret: true } },
      secretFiles: { 'tls.key': 'KEY' },
    });
    await config.write('other', 'staging', { baseVersion: 0, author: 't', set: { X: { value: '1' } } });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("opens <template>-<key> with the template's settings, its own edge port and the app's config only", async () => {
    const previews = previewsWith();
    const p = await previews.open({ app: 'shop', key: 'pr-7', template: 'staging', ttlMs: 2 * HOUR, author: 'ann' });
    expect(p).toMatchObject({
      app: 'shop',
      key: 'pr-7',
      env: 'staging-pr-7',
      template: 'staging',
      state: 'open',
      edgePort: 41001,
      createdAt: '2026-12-06T10:00:00.000Z',
      expiresAt: '2026-12-06T12:00:00.000Z',
    });
    const env = await envs.get('staging-pr-7');
    expect(env.target).toEqual({ kind: 'local', edgePort: 41001, edgePorts: { shop: 41001 } });
    expect(env.defaults).toEqual({ REGION: 'eu' });
    const cfg = await resolved('shop', 'staging-pr-7');
    expect(cfg.values).toEqual({ GREETING: { value: 'hi', secret: false }, TOKEN: { value: 's3cret', secret: true } });
    expect(cfg.files).toEqual({ 'tls.key': { content: 'KEY', secret: true } });
    expect((await config.current('other', 'staging-pr-7')).version).toBe(0);
    expect(await previews.list()).toEqual([p]);
    expect(DEFAULT_PREVIEW_TTL_MS).toBe(72 * HOUR);
  });

  it('never picks an edge port another environment names, even one whose app is not running', async () => {
    await envs.create({ name: 'qa', target: { kind: 'local', edgePorts: { shop: 41001, web: 41002 } } });
    const p = await previewsWith().open({ app: 'shop', key: 'pr-8', template: 'staging', ttlMs: HOUR, author: 'a' });
    expect(p.edgePort).toBe(41003);
  });

  it('gives a preview of a Kubernetes template its own namespace and no edge port', async () => {
    await envs.create({ name: 'kstage', target: { kind: 'kubernetes', context: 'kind', namespace: 'stage' } });
    const previews = previewsWith();
    const p = await previews.open({ app: 'shop', key: 'pr-3', template: 'kstage', ttlMs: HOUR, author: 'ann' });
    expect(p.edgePort).toBeUndefined();
    expect(ports).toBe(41000);
    expect((await envs.get('kstage-pr-3')).target).toEqual({
      kind: 'kubernetes',
      context: 'kind',
      namespace: 'kstage-pr-3',
    });
  });

  it('renews an open preview (same environment, new expiry), refuses another template and bad input', async () => {
    const previews = previewsWith();
    await previews.open({ app: 'shop', key: 'feat-a', template: 'staging', ttlMs: HOUR, author: 'ann' });
    await config.write('shop', 'staging-feat-a', { baseVersion: 1, author: 'ann', set: { OWN: { value: 'kept' } } });
    clock += 30 * 60_000;
    const again = await previews.open({ app: 'shop', key: 'feat-a', template: 'staging', ttlMs: HOUR, author: 'bob' });
    expect(again).toMatchObject({
      env: 'staging-feat-a',
      createdAt: '2026-12-06T10:00:00.000Z',
      updatedAt: '2026-12-06T10:30:00.000Z',
      expiresAt: '2026-12-06T11:30:00.000Z',
      author: 'bob',
      edgePort: 41001,
    });
    // The environment and its config are kept as they are.
    expect((await config.current('shop', 'staging-feat-a')).version).toBe(2);
    await envs.create({ name: 'qa' });
    await expect(
      previews.open({ app: 'shop', key: 'feat-a', template: 'qa', ttlMs: HOUR, author: 'bob' }),
    ).rejects.toThrow(/made from staging, not qa: close it first/);
    const bad = await previews
      .open({ app: 'shop', key: 'Feat_A', template: 'staging', ttlMs: 0, author: 'bob' })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).problems.map((p) => p.path)).toEqual(['key', 'ttl']);
    await expect(
      previews.open({ app: 'shop', key: 'x', template: 'nope', ttlMs: HOUR, author: 'bob' }),
    ).rejects.toThrow(/environment nope does not exist/);
    // An environment of that name made by hand is not taken over.
    await envs.create({ name: 'staging-mine' });
    await expect(
      previews.open({ app: 'shop', key: 'mine', template: 'staging', ttlMs: HOUR, author: 'bob' }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('closes idempotently: takes down what runs there, deletes the environment, records why', async () => {
    const previews = previewsWith();
    await previews.open({ app: 'shop', key: 'pr-1', template: 'staging', ttlMs: HOUR, author: 'ann' });
    await deployed('shop', 'staging-pr-1', 'deploy');
    await deployed('other', 'staging-pr-1', 'deploy');
    clock += 60_000;
    const closed = await previews.closePreview('shop', 'pr-1', 'merged');
    expect(closed).toMatchObject({ state: 'closed', closedReason: 'merged', closedAt: '2026-12-06T10:01:00.000Z' });
    expect(downs).toEqual(['other@staging-pr-1: merged', 'shop@staging-pr-1: merged']);
    await expect(envs.get('staging-pr-1')).rejects.toThrow(/does not exist/);
    // Again: nothing more happens, the first reason stays.
    await previews.close('shop', 'pr-1', 'closed');
    expect(await previews.get('shop', 'pr-1')).toMatchObject({ state: 'closed', closedReason: 'merged' });
    expect(downs).toHaveLength(2);
    await expect(previews.closePreview('shop', 'never', 'x')).resolves.toBeUndefined();
    expect(await previews.list()).toEqual([]);
    expect(await previews.list({ closed: true })).toHaveLength(1);
    // Opened again after a close: a new environment with the template's config over the old versions.
    await config.write('shop', 'staging', { baseVersion: 1, author: 't', set: { GREETING: { value: 'hey' } } });
    const reopened = await previews.open({ app: 'shop', key: 'pr-1', template: 'staging', ttlMs: HOUR, author: 'c' });
    expect(reopened).toMatchObject({ state: 'open', createdAt: '2026-12-06T10:01:00.000Z' });
    expect(reopened.closedReason).toBeUndefined();
    expect((await resolved('shop', 'staging-pr-1')).values.GREETING?.value).toBe('hey');
  });

  it('sweeps the previews whose time to live is over, by the injected clock; a renewed one stays', async () => {
    const previews = previewsWith();
    await previews.open({ app: 'shop', key: 'short', template: 'staging', ttlMs: 5_000, author: 'ann' });
    await previews.open({ app: 'shop', key: 'long', template: 'staging', ttlMs: HOUR, author: 'ann' });
    await previews.open({ app: 'shop', key: 'renewed', template: 'staging', ttlMs: 5_000, author: 'ann' });
    clock += 4_000;
    expect(await previews.sweep()).toEqual([]);
    await previews.open({ app: 'shop', key: 'renewed', template: 'staging', ttlMs: 5_000, author: 'ann' });
    clock += 1_000;
    expect((await previews.sweep()).map((p) => `${p.key}:${p.closedReason}`)).toEqual(['short:expired']);
    await expect(envs.get('staging-short')).rejects.toThrow(/does not exist/);
    clock += 4_000;
    expect((await previews.sweep()).map((p) => p.key)).toEqual(['renewed']);
    expect((await previews.list()).map((p) => p.key)).toEqual(['long']);
  });

  it('finishes an open stopped between making the environment and recording it, by open, close or sweep', async () => {
    // The control plane stops right after the environment and its config were committed.
    const crashing = previewsWith({
      configSets: {
        current: (app, env) => config.current(app, env),
        copyEnvironment: async (req) => {
          await config.copyEnvironment(req);
          throw new Error('control plane killed');
        },
      },
    });
    for (const key of ['a', 'b', 'c'])
      await expect(
        crashing.open({ app: 'shop', key, template: 'staging', ttlMs: HOUR, author: 'ann' }),
      ).rejects.toThrow('control plane killed');
    expect((await crashing.list()).map((p) => p.state)).toEqual(['opening', 'opening', 'opening']);
    expect((await envs.list()).map((e) => e.name)).toEqual(['local', 'staging', 'staging-a', 'staging-b', 'staging-c']);

    // A new control plane on the same file.
    await store.close();
    store = await openStore({ file: join(dir, 'berth.db') });
    envs = createEnvironments(store.db);
    config = createConfigSets(store.db, await loadSecretBox(dir));
    const previews = previewsWith();
    const a = await previews.open({ app: 'shop', key: 'a', template: 'staging', ttlMs: HOUR, author: 'ann' });
    expect(a).toMatchObject({ state: 'open', env: 'staging-a', edgePort: 41001 });
    expect((await config.current('shop', 'staging-a')).version).toBe(1);
    expect(await previews.closePreview('shop', 'b', 'closed')).toMatchObject({ state: 'closed' });
    clock += HOUR;
    expect((await previews.sweep()).map((p) => p.key).sort()).toEqual(['a', 'c']);
    expect((await envs.list()).map((e) => e.name)).toEqual(['local', 'staging']);
  });

  it('keeps a close that failed midway as closing, with its error, and the next sweep finishes it', async () => {
    let fail = true;
    const previews = previewsWith({
      takeDown: async (app, env) => {
        if (fail) throw new Error('runtime unreachable');
        await deployed(app, env, 'down');
      },
    });
    await previews.open({ app: 'shop', key: 'pr-2', template: 'staging', ttlMs: HOUR, author: 'ann' });
    await deployed('shop', 'staging-pr-2', 'deploy');
    await expect(previews.close('shop', 'pr-2', 'merged')).rejects.toThrow('runtime unreachable');
    expect(await previews.get('shop', 'pr-2')).toMatchObject({ state: 'closing', error: 'runtime unreachable' });
    expect(await previews.sweep()).toEqual([]);
    fail = false;
    const [done] = await previews.sweep();
    expect(done).toMatchObject({ key: 'pr-2', state: 'closed', closedReason: 'merged' });
    expect(done?.error).toBeUndefined();
    await expect(envs.get('staging-pr-2')).rejects.toThrow(/does not exist/);
  });
});
