/**
 * `berth render` of an app with `build:` against a real control plane: refused with the deploy's
 * error (berth.yaml line, the `berth build` command) until the service is built, rendered after
 * `berth build` (a command build, the process service's own image on the cluster), and `--commit`
 * picks one commit's build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startBerth, type Berth } from './harness.js';

let berth: Berth;
let dir: string;

const SPEC = [
  'name: rbshop',
  'services:',
  '  api:',
  '    command: node main.js',
  '    image: node:20-slim',
  '    cwd: api',
  '    build: { command: "mkdir -p dist && cp main.js dist/", output: dist }',
  '',
].join('\n');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-render-builds-'));
  await mkdir(join(dir, 'api'));
  await writeFile(join(dir, 'api', 'main.js'), 'console.log(1)\n');
  await writeFile(join(dir, 'berth.yaml'), SPEC);
  berth = await startBerth();
});
afterAll(async () => {
  await berth?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('berth render after berth build', () => {
  it('is refused before the build, renders after it, and --commit picks a commit', async () => {
    const before = await berth.cli(['render', dir]);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('berth.yaml:7');
    expect(before.stderr).toContain(`run \`berth build ${dir} api --env local\` first`);

    const built = await berth.cli(['build', dir, '--commit', 'c1']);
    expect(built.code, built.stderr).toBe(0);
    const after = await berth.cli(['render', dir]);
    expect(after.code, after.stderr).toBe(0);
    const objs = parseAllDocuments(after.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    expect(objs.some((o) => o.kind === 'Deployment' && o.metadata.name === 'api')).toBe(true);
    expect((await berth.cli(['render', dir, '--commit', 'c1'])).code).toBe(0);

    const other = await berth.cli(['render', dir, '--commit', 'c9']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`no successful build of rbshop in local at commit c9`);
    expect(other.stderr).toContain(`berth build ${dir} api --env local --commit c9`);
  }, 60_000);
});
