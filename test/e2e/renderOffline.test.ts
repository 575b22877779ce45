/**
 * `berth render --offline` runs from its own bundle (dist/cli/renderOffline.cjs, V8's code cache):
 * its output is byte for byte what the render modules print, and what the control plane renders for an
 * app with no config set (but the revision: the control plane names the next one, offline has none).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, startBerth, type Berth } from './harness.js';

const run = promisify(execFile);
let berth: Berth;
let dir: string;

/** An app of `n` services of every kind, with variables, files and routes, and no secret. */
function generatedApp(n: number): string {
  const out = ['name: many', 'variables:', '  TAG: "3.1"', '  LEVEL: { default: debug }', 'services:'];
  for (let i = 0; i < n; i++) {
    const name = `s${i}`;
    out.push(`  ${name}:`, `    image: reg.example/${name}:\${TAG}`);
    if (i % 9 === 4) {
      out.push('    kind: job');
      continue;
    }
    out.push('    ports: [8080, { name: admin, port: 9000 }]', `    replicas: ${1 + (i % 2)}`);
    out.push('    health: { readiness: { http: { path: /ready } } }');
    if (i % 7 === 2) out.push('    stateful: true');
    if (i % 5 === 1)
      out.push('    autoscale: { min: 1, max: 4, cpu: 60% }', '    resources: { requests: { cpu: 50m } }');
    out.push(`    env: { LEVEL: "\${LEVEL}", NEXT: "\${S${(i + 1) % n}_URL:-none}", Zeta: z, alpha_1: a }`);
    out.push(`    files: [{ path: c.conf, content: "tag=\${TAG}" }]`);
  }
  out.push('routes:', '  - { path: /, service: s0 }');
  return `${out.join('\n')}\n`;
}

/** What the render modules themselves print offline (dist/cli/commands/renderOffline.js, no bundle). */
async function fromModules(file: string): Promise<string> {
  const script = `
    import { readFileSync } from 'node:fs';
    import { renderOffline } from ${JSON.stringify(join(ROOT, 'dist/cli/commands/renderOffline.js'))};
    const file = ${JSON.stringify(file)};
    process.stdout.write(renderOffline({ file, text: readFileSync(file, 'utf8') }, { env: 'local', kubernetesVersion: '1.30' }, 'yaml').yaml);`;
  return (await run(process.execPath, ['--input-type=module', '-e', script], { maxBuffer: 64 << 20 })).stdout;
}

beforeAll(async () => {
  berth = await startBerth();
  dir = await mkdtemp(join(tmpdir(), 'berth-render-offline-'));
  await writeFile(join(dir, 'berth.yaml'), generatedApp(40));
});
afterAll(async () => {
  await berth?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('berth render --offline', () => {
  it('is built as its own bundle, with a code cache after its first run', async () => {
    expect(existsSync(join(ROOT, 'dist/cli/renderOffline.cjs'))).toBe(true);
    const r = await berth.cli(['render', dir, '--offline']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(ROOT, 'dist/cli/renderOffline.cjs.cache'))).toBe(true);
  });

  for (const [name, app] of [
    ['the shop example', () => join(ROOT, 'examples/shop')],
    ['a generated app of 40 services', () => dir],
  ] as const) {
    it(`prints ${name} byte for byte as the render modules do, from its bundle and its code cache`, async () => {
      const expected = await fromModules(join(app(), 'berth.yaml'));
      expect(expected.length).toBeGreaterThan(1000);
      // Twice: the first run may write the code cache, the second runs from it.
      for (let i = 0; i < 2; i++) {
        const r = await berth.cli(['render', app(), '--offline', '-o', 'yaml']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toBe(expected);
      }
    });
  }

  it('prints what the control plane renders for an app with no config set, but the revision', async () => {
    const offline = await berth.cli(['render', dir, '--offline', '-o', 'yaml']);
    expect(offline.code, offline.stderr).toBe(0);
    const served = await berth.cli(['render', dir, '-o', 'yaml']);
    expect(served.code, served.stderr).toBe(0);
    expect(served.stdout).toContain('berth.dev/revision: "1"');
    expect(served.stdout.replaceAll('berth.dev/revision: "1"', 'berth.dev/revision: "0"')).toBe(offline.stdout);
  });

  it('names the file, line and field of every problem, as before', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'name: bad\nservices:\n  web:\n    image: x\n    ports: [99999]\n    replicas: two\n');
    const r = await berth.cli(['render', bad, '--offline']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:5:13 services.web.ports.0: must be between 1 and 65535`);
    expect(r.stderr).toContain(`${bad}:6:15 services.web.replicas: expected a number, got the string "two"`);
    expect(await readFile(bad, 'utf8')).toContain('replicas: two');
  });
});
