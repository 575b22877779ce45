/**
 * A release engine over a real SQLite store in a temporary directory and a FakeRuntime, with a
 * FakeClock: what the engine's unit tests drive. `start()` makes an engine (a control plane); one
 * made with a Crash dies at a chosen store write or runtime call, and the next one started over the
 * same store and runtime is its restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach } from 'vitest';
import { createConfigSets } from '../../../config/configSets.js';
import { loadSecretBox } from '../../../config/secretBox.js';
import { createEnvironments } from '../../../environment/environments.js';
import { parseSpec } from '../../../spec/load.js';
import { createLeases } from '../../../store/leases.js';
import { openStore, type Store } from '../../../store/store.js';
import { Releases, type Release } from '../../releases.js';
import { createReleaseEngine, type DeployRequest, type EngineDeps, type ReleaseEngine } from '../engine.js';
import type { Crash } from './crash.js';
import { FakeClock, settle } from './fakeClock.js';
import { FakeRuntime } from './fakeRuntime.js';

export const ENV = 'local';

/** The store writes a crash can stop after (reads only stop answering once dead). */
const WRITES = new Set([
  'create',
  'setStatus',
  'requestCancel',
  'setStep',
  'setProgress',
  'setCommand',
  'takeCommand',
  'addEvent',
]);

/** One control plane of the world. */
export interface Plane {
  engine: ReleaseEngine;
  deps: EngineDeps;
  clock: FakeClock;
  holder: string;
}

export interface World {
  dir: string;
  store: Store;
  /** The store's releases, read directly (not through any plane). */
  releases: Releases;
  runtime: FakeRuntime;
  /** Starts a control plane (its `start()` called: it resumes what is unfinished). */
  start(opts?: { crash?: Crash; clock?: FakeClock }): Promise<Plane>;
  /** Loads `yaml` as berth.yaml and deploys it on `plane`. */
  deploy(plane: Plane, yaml: string, opts?: Partial<Omit<DeployRequest, 'loaded' | 'env'>>): Promise<Release>;
  /** Waits (in real time, without moving any clock) until the release `id` has finished. */
  finished(id: number): Promise<Release>;
  /** Waits until `test` holds, letting the engine run (no clock moves). */
  until(test: () => Promise<boolean> | boolean, what?: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A fresh world for each test of the calling suite, closed after it: `let w: World; worldPerTest((o) => (w = o));`.
 */
export function worldPerTest(set: (w: World) => void): void {
  let current: World | undefined;
  beforeEach(async () => {
    current = await openWorld();
    set(current);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
}

export async function openWorld(): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-engine-'));
  const store = await openStore({ file: join(dir, 'berth.db') });
  const box = await loadSecretBox(dir);
  const releases = new Releases(store.db);
  const runtime = new FakeRuntime();
  const alive = new Set<string>();
  const planes: Plane[] = [];
  let n = 0;

  const until = async (test: () => Promise<boolean> | boolean, what = 'a condition'): Promise<void> => {
    // Real time bounds the wait only (no clock moves): what the engine does meanwhile takes ms.
    const give = Date.now() + 10_000;
    while (Date.now() < give) {
      if (await test()) return;
      // A pause between looks: polling the store back to back starves the engine's own queries.
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  const world: World = {
    dir,
    store,
    releases,
    runtime,

    async start(opts = {}) {
      const holder = `plane-${++n}`;
      const clock = opts.clock ?? new FakeClock();
      const crash = opts.crash;
      alive.add(holder);
      crash?.whenDead(() => alive.delete(holder));
      const deps: EngineDeps = {
        releases: crash ? crashable(releases, crash) : releases,
        environments: createEnvironments(store.db),
        configSets: createConfigSets(store.db, box),
        secretBox: box,
        leases: createLeases(store.db, { holder, clock }),
        runtimeFor: async () => runtime.view(crash),
        isHolderAlive: (h) => alive.has(h),
        logger: pino({ level: 'silent' }),
        clock,
      };
      const engine = createReleaseEngine(deps);
      await engine.start();
      const plane = { engine, deps, clock, holder };
      planes.push(plane);
      return plane;
    },

    async deploy(plane, yaml, opts = {}) {
      const loaded = parseSpec(yaml, join(dir, 'berth.yaml'));
      return plane.engine.deploy({ loaded, env: ENV, author: 'test', ...opts });
    },

    async finished(id) {
      let r: Release | undefined;
      await until(async () => {
        r = await releases.get(id);
        return r.status === 'succeeded' || r.status === 'failed';
      }, `release ${id} to finish`);
      return r!;
    },

    until,

    async close() {
      // A crashed plane never returns from its calls: it is left as a dead process is.
      for (const p of planes) await Promise.race([p.engine.close(), settle(50)]);
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** `releases` whose writes are guarded calls of `crash` (and whose reads stop once it is dead). */
function crashable(releases: Releases, crash: Crash): Releases {
  return new Proxy(releases, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const name = String(prop);
      return (...args: unknown[]) =>
        WRITES.has(name)
          ? crash.guard(() => (v as (...a: unknown[]) => Promise<unknown>).apply(target, args), name)
          : crash.pass(() => (v as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}
