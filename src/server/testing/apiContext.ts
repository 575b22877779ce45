/**
 * A control plane's ServerContext for route tests through fastify's `inject()`: a real SQLite store,
 * secret key, token, environments, config sets, releases, render service and release engine in a
 * temporary home, wired as daemon.ts wires them. The runtime is the test's (`runtimeFor`); routes that
 * reach none need none.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createAlertRules } from '../../alerts/ruleStore.js';
import { createSilences } from '../../alerts/silences.js';
import { createAlertHistory } from '../../alerts/history.js';
import { createHookDeliveries } from '../../hooks/deliveryStore.js';
import { createConfigSets } from '../../config/configSets.js';
import { loadSecretBox } from '../../config/secretBox.js';
import { createEnvironments } from '../../environment/environments.js';
import { createReleaseEngine } from '../../release/engine/engine.js';
import { Releases } from '../../release/releases.js';
import type { Runtime } from '../../runtime/runtime.js';
import { createLeases } from '../../store/leases.js';
import { openStore } from '../../store/store.js';
import { buildApi } from '../app.js';
import { ensureToken } from '../auth.js';
import { createAccess } from '../../access/access.js';
import { AuditLog } from '../../audit/auditLog.js';
import { tokenFile } from '../serverInfo.js';
import type { ServerContext } from '../context.js';
import { createRenderService } from '../renderService.js';
import { buildLookup } from '../../build/buildLookup.js';
import { createBuildStore, type BuildStore } from '../../build/buildStore.js';
import { createApprovals } from '../../approvals/approvals.js';
import { approvalExecutor } from '../approvalWiring.js';

export interface TestApi {
  ctx: ServerContext;
  api: FastifyInstance;
  /** `inject()` with the home's token. */
  request(o: {
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    url: string;
    body?: unknown;
    headers?: Record<string, string>;
  }): Promise<LightMyRequestResponse>;
  /** The builds the engine and the renders run (record one with src/build/builds.ts). */
  buildStore: BuildStore;
  close(): Promise<void>;
}

export async function testApi(o: { runtimeFor?: (env: string) => Promise<Runtime> } = {}): Promise<TestApi> {
  const home = await mkdtemp(join(tmpdir(), 'berth-api-'));
  const store = await openStore({ file: join(home, 'berth.db') });
  const box = await loadSecretBox(home);
  const access = createAccess(store.db);
  await ensureToken(access.tokens, home, 'tester');
  const token = (await readFile(tokenFile(home), 'utf8')).trim();
  const environments = createEnvironments(store.db);
  const releases = new Releases(store.db);
  const configSets = createConfigSets(store.db, box);
  const runtimeFor =
    o.runtimeFor ??
    (async (env: string): Promise<Runtime> => {
      throw new Error(`this test gives no runtime (asked for ${env})`);
    });
  const logger = pino({ level: 'silent' });
  const buildStore = createBuildStore(store.db);
  const engine = createReleaseEngine({
    releases,
    environments,
    configSets,
    secretBox: box,
    leases: createLeases(store.db, { holder: 'test' }),
    runtimeFor,
    isHolderAlive: () => true,
    logger,
    builtArtifacts: buildLookup(buildStore),
  });
  const ctx: ServerContext = {
    version: 'test',
    home,
    engine,
    releases,
    configSets,
    environments,
    runtimeFor,
    secretBox: box,
    renders: createRenderService({
      environments,
      configSets,
      releases,
      secretBox: box,
      builtArtifacts: buildLookup(buildStore),
    }),
    access,
    audit: new AuditLog(store.sqlite, join(home, 'audit.head')),
    logger,
    shutdown: async () => {},
    alertRules: createAlertRules(store.db, box),
    silences: createSilences(store.db),
    alertHistory: createAlertHistory(store.db),
    hookDeliveries: createHookDeliveries(store.db),
    approvals: createApprovals({
      db: store.db,
      box,
      executor: approvalExecutor({ engine, releases, environments, configSets }),
      logger,
    }),
  };
  const api = await buildApi(ctx);
  return {
    ctx,
    api,
    buildStore,
    request: (r) =>
      api.inject({
        method: r.method,
        url: r.url,
        headers: { authorization: `Bearer ${token}`, ...r.headers },
        ...(r.body === undefined ? {} : { payload: r.body as object }),
      }),
    async close() {
      await api.close();
      await ctx.approvals.close();
      await engine.close();
      await store.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
