/**
 * Names of Object.prototype members (`__proto__`, `constructor`, `toString`, `hasOwnProperty`) sent
 * to a real control plane as service, config key or file names are unknown names, never the
 * prototype's: 404 naming the thing, no revision, and /metrics and the process unharmed (a policy
 * PUT on `__proto__` used to pollute Object.prototype and take /metrics down).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBerth, writeApp, type Berth } from './harness.js';

const APP = 'protonames';
const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
const SERVER = `
import { createServer } from 'node:http';
createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

interface Release {
  revision: number;
  kind: string;
  status: string;
}
interface ErrorBody {
  code: string;
  message: string;
}

let berth: Berth;
const base = `/api/v1/apps/${APP}/envs/local`;

beforeAll(async () => {
  const dir = await writeApp(APP, {
    'server.mjs': SERVER,
    'berth.yaml': [
      `name: ${APP}`,
      'services:',
      '  web:',
      '    command: node server.mjs',
      '    health: { readiness: { http: { path: / }, period: 1s } }',
    ],
  });
  berth = await startBerth();
  const deploy = await berth.cli(['deploy', dir]);
  expect(deploy.code, deploy.stderr).toBe(0);
}, 60_000);
afterAll(async () => {
  await berth?.teardown();
});

const history = async (): Promise<Release[]> => (await berth.api<Release[]>('GET', `${base}/releases`)).body;

describe('names of Object.prototype members are unknown names', () => {
  it('answers 404 naming the thing for every operation on such a service, key or file, and makes no revision', async () => {
    const before = await history();
    for (const name of NAMES) {
      const svc = `${base}/services/${encodeURIComponent(name)}`;
      const calls: [string, string, unknown][] = [
        ['PUT', `${svc}/policy`, { policy: {} }],
        ['POST', `${svc}/scale`, { replicas: 2 }],
        ['POST', `${svc}/restart`, {}],
        ['GET', `${base}/config/values/${encodeURIComponent(name)}`, undefined],
        ['GET', `${base}/config/files/${encodeURIComponent(name)}`, undefined],
      ];
      for (const [method, path, body] of calls) {
        const r = await berth.api<ErrorBody>(method, path, body);
        expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(404);
        expect(r.body.code).toBe('NOT_FOUND');
        expect(r.body.message).toContain(name);
      }
    }
    expect(await history()).toEqual(before);
  });

  it('keeps /metrics answering and the control plane alive afterwards', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${berth.url}/metrics`, { headers: { authorization: `Bearer ${berth.token}` } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('berth_replicas{app="protonames",env="local",service="web"');
    }
    expect(berth.proc.exitCode).toBeNull();
    expect(({} as Record<string, unknown>).policy).toBeUndefined();
  });

  it('stores such names as ordinary config keys', async () => {
    const set = await berth.cli(['config', 'set', 'constructor=built', 'toString=text', '--app', APP]);
    expect(set.code, set.stderr).toBe(0);
    const got = await berth.api<{ value: string }>('GET', `${base}/config/values/constructor`);
    expect(got).toMatchObject({ status: 200, body: { value: 'built' } });
    const missing = await berth.api<ErrorBody>('GET', `${base}/config/values/hasOwnProperty`);
    expect(missing.status).toBe(404);
  });

  it('refuses __proto__ as an environment variable default instead of dropping it', async () => {
    const cli = await berth.cli(['env', 'create', 'protoenv', '--var', '__proto__=x', '--var', 'A=b']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('"__proto__=x": `__proto__` cannot be a variable name');
    // The API refuses a body with the key too (its JSON parser refuses `__proto__` keys).
    const api = await berth.api<ErrorBody>(
      'POST',
      '/api/v1/environments',
      JSON.parse('{"name":"protoenv","defaults":{"__proto__":"x","A":"b"}}') as unknown,
    );
    expect(api.status).toBe(400);
    // Nothing was made.
    expect((await berth.api('GET', '/api/v1/environments/protoenv')).status).toBe(404);
  });
});
