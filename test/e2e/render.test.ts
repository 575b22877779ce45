/**
 * `berth render` and `berth export --format helm` against a real control plane: the objects are
 * rendered from the config set (secrets masked), and the real helm accepts the exported chart and
 * renders the same objects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { CLI, startBerth, type Berth } from './harness.js';
import { FIXTURE_TEXT } from '../../src/runtime/kubernetes/manifests/testdata/fixture.js';
import { helmBinary } from '../support/helmBinary.mjs';
import { comparable } from '../../src/export/helm/helmTestKit.js';
import type { KubernetesObject } from '../../src/runtime/kubernetes/manifests/contract.js';

const run = promisify(execFile);
let berth: Berth;
let dir: string;

interface Obj {
  kind: string;
  metadata: { name: string; namespace: string; annotations: Record<string, string> };
  [k: string]: unknown;
}

beforeAll(async () => {
  berth = await startBerth();
  dir = await mkdtemp(join(tmpdir(), 'berth-render-e2e-'));
  await writeFile(join(dir, 'berth.yaml'), FIXTURE_TEXT);
  const set = await berth.cli(['config', 'set', 'DB_PASSWORD=pa55-e2e-value', '--secret', '--app', 'shop']);
  expect(set.code, set.stderr).toBe(0);
  const env = await berth.cli(['env', 'create', 'staging', '--kubernetes', '--namespace', 'shop-staging']);
  expect(env.code, env.stderr).toBe(0);
  const staging = await berth.cli([
    'config',
    'set',
    'DB_PASSWORD=st4ging',
    '--secret',
    '--app',
    'shop',
    '--env',
    'staging',
  ]);
  expect(staging.code, staging.stderr).toBe(0);
});
afterAll(async () => {
  await berth?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const docs = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);

describe('berth render', () => {
  it('prints validated objects as YAML with secrets masked', async () => {
    const r = await berth.cli(['render', dir, '-o', 'yaml', '--namespace', 'team-a']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('pa55-e2e-value');
    const objs = docs(r.stdout);
    expect(objs.length).toBe(21);
    expect(objs.every((o) => o.metadata.namespace === 'team-a')).toBe(true);
    const secret = objs.find((o) => o.kind === 'Secret' && o.metadata.name === 'db-secret')!;
    expect(secret.stringData).toEqual({ 'env.POSTGRES_PASSWORD': '******' });
    expect(objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'api')!.metadata.annotations).toMatchObject({
      'berth.dev/revision': '1',
      'berth.dev/config-version': '1',
    });
  });

  it('renders again after a config change (no stale render is served)', async () => {
    const before = docs((await berth.cli(['render', dir, '--namespace', 'team-a'])).stdout);
    const set = await berth.cli(['config', 'set', 'LOG_LEVEL=debug', '--app', 'shop']);
    expect(set.code, set.stderr).toBe(0);
    const after = docs((await berth.cli(['render', dir, '--namespace', 'team-a'])).stdout);
    const cm = (objs: Obj[]) => objs.find((o) => o.metadata.name === 'api-config')!;
    expect((cm(before).data as Record<string, string>)['env.LOG_LEVEL']).toBe('info');
    expect((cm(after).data as Record<string, string>)['env.LOG_LEVEL']).toBe('debug');
    expect(cm(after).metadata.annotations['berth.dev/config-version']).toBe('2');
  });

  it('tells how a render was answered (Server-Timing), and makes one render for requests asking at once', async () => {
    const body = {
      env: 'local',
      namespace: 'timing',
      format: 'yaml',
      spec: { file: join(dir, 'berth.yaml'), text: FIXTURE_TEXT },
    };
    const post = async () => {
      const res = await fetch(`${berth.url}/api/v1/render`, {
        method: 'POST',
        headers: { authorization: `Bearer ${berth.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { yaml: string };
      return { status: res.status, timing: res.headers.get('server-timing') ?? '', yaml: json.yaml };
    };
    // Asked three times at once: one render is made; the others wait for it (or, arriving after it,
    // find it in the cache).
    const answers = await Promise.all([post(), post(), post()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const how = answers.map((a) => /^render;desc="(\w+)";dur=\d+(\.\d)?$/.exec(a.timing)?.[1]);
    expect(how.filter((h) => h === 'made')).toHaveLength(1);
    expect(how.every((h) => h === 'made' || h === 'joined' || h === 'cached')).toBe(true);
    expect(new Set(answers.map((a) => a.yaml)).size).toBe(1);
    expect((await post()).timing).toMatch(/^render;desc="cached";dur=/);
  });

  it('ends quietly when the reader of its output stops early (`berth render | head`)', async () => {
    // Far more than a pipe holds (64 KiB), so the writer meets the closed pipe.
    const big = await mkdtemp(join(tmpdir(), 'berth-render-pipe-'));
    const services = Array.from({ length: 100 }, (_, i) => `  s${i}:\n    image: example/s${i}:1\n    ports: [8080]`);
    await writeFile(join(big, 'berth.yaml'), `name: pipe\nservices:\n${services.join('\n')}\n`);
    for (const output of ['yaml', 'json']) {
      const r = await run('bash', ['-o', 'pipefail', '-c', `node "$CLI" render "$DIR" -o ${output} | head -c 20`], {
        env: { ...process.env, BERTH_HOME: berth.home, CLI, DIR: big },
      });
      expect(r.stdout).toHaveLength(20);
      expect(r.stderr).toBe('');
    }
    await rm(big, { recursive: true, force: true });
  });

  it('prints JSON, and takes the namespace of a Kubernetes environment', async () => {
    const objs = await berth.json<Obj[]>(['render', dir, '--env', 'staging']);
    expect(objs.find((o) => o.metadata.name === 'shop-discovery')!.data).toMatchObject({
      DB_HOST: 'db.shop-staging.svc.cluster.local',
    });
    const conflict = await berth.cli(['render', dir, '--env', 'staging', '--namespace', 'other']);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('namespace shop-staging');
  });

  it('reports a version it cannot render for', async () => {
    const r = await berth.cli(['render', dir, '--kubernetes-version', '1.12']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('1.23 to 1.33');
  });

  it('renders offline from berth.yaml defaults', async () => {
    const noSecret = FIXTURE_TEXT.replace(
      'DB_PASSWORD: { secret: true }',
      'DB_PASSWORD: { secret: true, default: dev }',
    );
    const file = join(dir, 'offline.yaml');
    await writeFile(file, noSecret);
    const r = await berth.cli(['render', file, '--offline', '--namespace', 'x'], {
      env: { BERTH_SERVER: 'http://127.0.0.1:9' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(docs(r.stdout).length).toBe(21);
  });
});

describe('berth export --format helm', () => {
  it('writes a chart the real helm lints and templates into the same objects', async () => {
    const out = join(dir, 'chart');
    const r = await berth.cli(['export', out, '--format', 'helm', '-f', dir, '--namespace', 'team-a']);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(out, 'values.yaml'), 'utf8')).not.toContain('pa55-e2e-value');
    const helm = await helmBinary();
    const lint = await run(helm, ['lint', out, '--set', 'secrets.DB_PASSWORD=x']);
    expect(lint.stdout).toContain('0 chart(s) failed');
    const tpl = await run(helm, ['template', 'shop', out, '--namespace', 'team-a', '--set', 'secrets.DB_PASSWORD=x'], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const fromHelm = docs(tpl.stdout);
    const fromBerth = docs((await berth.cli(['render', dir, '--namespace', 'team-a'])).stdout);
    // Berth shows Secrets masked (stringData); helm has the supplied values (data). The rest is the
    // same, but the config checksum and so a Job's name (each the digest of its own pod template).
    const strip = (objs: Obj[]) => comparable(objs.filter((o) => o.kind !== 'Secret') as KubernetesObject[]);
    expect(Object.keys(strip(fromHelm)).sort()).toEqual(Object.keys(strip(fromBerth)).sort());
    expect(strip(fromHelm)).toEqual(strip(fromBerth));
  });
});
