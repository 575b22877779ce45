/**
 * The engine's renderer asks the runtime contract, not which runtime it is: whether discovery is
 * shared (`sharesDiscovery`), whether a deploy's objects are checked (`checkRelease`), and a plan's
 * addresses without allocating any. A real SQLite store; a runtime that records what it is asked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfigSets } from '../config/configSets.js';
import { loadSecretBox } from '../config/secretBox.js';
import { createEnvironments } from '../environment/environments.js';
import { ValidationError } from '../errors.js';
import type { ReleaseToCheck, Runtime, ServiceEndpoint } from '../runtime/runtime.js';
import type { ServiceAddress } from '../model/observation.js';
import { parseSpec } from '../spec/load.js';
import { createLeases } from '../store/leases.js';
import { openStore, type Store } from '../store/store.js';
import type { EngineDeps } from './engine/engineTypes.js';
import { createEngineRenderer, type EngineRenderer } from './engineRender.js';
import { Releases } from './releases.js';
import { UNALLOCATED } from './unallocated.js';

const SPEC = `name: shop
services:
  web:
    command: node web.js
    ports: [8080]
    env: { API: "\${API_URL}/v1" }
  api:
    command: node api.js
    ports: [8081]
`;

/** A runtime that knows the addresses of `known` and allocates the others' (41200, 41201, ...) when asked to. */
function recordingRuntime(o: { known: string[]; sharesDiscovery?: boolean; check?: (r: ReleaseToCheck) => void }) {
  const asked: { services: string[]; allocate: boolean | undefined }[] = [];
  const checked: ReleaseToCheck[] = [];
  const address = (port: number): ServiceAddress => ({ host: '127.0.0.1', port, url: `http://127.0.0.1:${port}` });
  const runtime: Runtime = {
    kind: 'local',
    ...(o.sharesDiscovery === undefined ? {} : { sharesDiscovery: o.sharesDiscovery }),
    ...(o.check
      ? {
          checkRelease: async (r: ReleaseToCheck) => {
            checked.push(r);
            o.check!(r);
          },
        }
      : {}),
    converge: async () => {},
    applyRoutes: async () => {},
    addresses: async (_app: string, _env: string, services: ServiceEndpoint[], opts?: { allocate?: boolean }) => {
      asked.push({ services: services.map((s) => s.name), allocate: opts?.allocate });
      const out: Record<string, ServiceAddress> = {};
      services.forEach((s, i) => {
        if (o.known.includes(s.name)) out[s.name] = address(41100 + i);
        else if (opts?.allocate !== false) out[s.name] = address(41200 + i);
      });
      return out;
    },
    observe: async () => ({ services: [] }),
    logs: async function* () {},
    remove: async () => {},
    close: async () => {},
  };
  return { runtime, asked, checked };
}

describe('the engine renderer asks the runtime contract', () => {
  let dir: string;
  let store: Store;
  let deps: Omit<EngineDeps, 'runtimeFor'>;
  const loaded = () => parseSpec(SPEC, join(dir, 'berth.yaml'));
  const rendererWith = (runtime: Runtime): EngineRenderer =>
    createEngineRenderer({ ...deps, runtimeFor: async () => runtime });
  const renderOf = (renderer: EngineRenderer, allocate?: boolean) =>
    renderer.render({
      spec: loaded().spec,
      file: join(dir, 'berth.yaml'),
      env: 'local',
      revision: 1,
      ...(allocate === undefined ? {} : { allocate }),
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-engine-render-'));
    store = await openStore({ file: join(dir, 'berth.db') });
    const box = await loadSecretBox(dir);
    deps = {
      releases: new Releases(store.db),
      environments: createEnvironments(store.db),
      configSets: createConfigSets(store.db, box),
      secretBox: box,
      leases: createLeases(store.db, { holder: 'test' }),
      isHolderAlive: () => true,
      logger: pino({ level: 'silent' }),
    };
  });
  afterAll(async () => {
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('renders a plan without allocating: a service with no address yet is (allocated at deploy) to the others', async () => {
    const rt = recordingRuntime({ known: ['web'] });
    const plan = await renderOf(rendererWith(rt.runtime), false);
    expect(rt.asked).toEqual([{ services: ['web', 'api'], allocate: false }]);
    expect(plan.states.web!.workload.env.API).toBe(`${UNALLOCATED}/v1`);
    expect(plan.rendered.discovery).toMatchObject({
      API_HOST: UNALLOCATED,
      API_PORT: UNALLOCATED,
      API_URL: UNALLOCATED,
    });
    expect(plan.states.api!.workload.env.WEB_URL).toBe('http://127.0.0.1:41100');

    // A deploy's render allocates: the address it was given is what the services see.
    const deploy = await renderOf(rendererWith(rt.runtime));
    expect(rt.asked[1]).toEqual({ services: ['web', 'api'], allocate: true });
    expect(deploy.states.web!.workload.env.API).toBe('http://127.0.0.1:41201/v1');
    expect(JSON.stringify(deploy.rendered)).not.toContain(UNALLOCATED);
  });

  it('keeps the discovery variables apart exactly when the runtime shares them', async () => {
    const shared = await renderOf(
      rendererWith(recordingRuntime({ known: ['web', 'api'], sharesDiscovery: true }).runtime),
    );
    expect(shared.states.web!.discovery).toMatchObject({ API_URL: 'http://127.0.0.1:41101' });
    expect(shared.states.web!.workload.env).toEqual({ API: 'http://127.0.0.1:41101/v1' });
    const copied = await renderOf(rendererWith(recordingRuntime({ known: ['web', 'api'] }).runtime));
    expect(copied.states.web!.discovery).toBeUndefined();
    expect(copied.states.web!.workload.env).toMatchObject({ API_URL: 'http://127.0.0.1:41101' });
    // The same hashes either way: only where the variables travel differs.
    expect(copied.rendered.services.web!.hash).toBe(shared.rendered.services.web!.hash);
  });

  it('lets a runtime that checks releases check the next revision, rendered without allocating', async () => {
    const rt = recordingRuntime({ known: [], check: () => {} });
    await rendererWith(rt.runtime).check(loaded(), 'local', undefined);
    expect(rt.asked).toEqual([{ services: ['web', 'api'], allocate: false }]);
    expect(rt.checked).toHaveLength(1);
    const [r] = rt.checked;
    expect(r!.revision).toBe(1);
    expect(r!.loaded.file).toBe(join(dir, 'berth.yaml'));
    expect(Object.keys(r!.result.states).sort()).toEqual(['api', 'web']);
    expect(r!.result.rendered.services.web!.secretDigests).toEqual({});

    // Its refusal is the deploy's: a ValidationError, passed on as it is.
    const refused = new ValidationError('no', [{ file: 'berth.yaml', line: 3, path: 'services.web', message: 'no' }]);
    const refusing = recordingRuntime({
      known: [],
      check: () => {
        throw refused;
      },
    });
    await expect(rendererWith(refusing.runtime).check(loaded(), 'local', undefined)).rejects.toBe(refused);

    // A runtime without checkRelease is asked nothing: no render, no address.
    const plain = recordingRuntime({ known: [] });
    await rendererWith(plain.runtime).check(loaded(), 'local', undefined);
    expect(plain.asked).toEqual([]);
  });
});
