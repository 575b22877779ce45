/**
 * `berth render --offline` runs in a Node process started from its V8 startup snapshot
 * (dist/cli/renderOffline-<version>-<arch>.blob), or without one from its own bundle
 * (dist/cli/renderOffline.cjs, V8's code cache): either way its output is byte for byte what the render
 * modules print, and what the control plane renders for an app with no config set (but the revision:
 * the control plane names the next one, offline has none), and its errors are the same. bin/berth.js
 * starts the snapshot itself before the CLI loads (src/cli/renderFast.ts) when the command line is
 * render's own options, and streams a control plane's render the same way: the same output as through
 * the CLI. The `berth` command (bin/berth, package.json's bin) starts the snapshot as its only process
 * for `render --offline`, and runs bin/berth.js for everything else or when the snapshot does not print.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, startBerth, type Berth } from './harness.js';

const run = promisify(execFile);
let berth: Berth;
let dir: string;
/** The snapshot of the Node running the tests, which `npm run build` writes. */
const blob = join(ROOT, 'dist/cli', `renderOffline-${process.version}-${process.arch}.blob`);
/** The two ways of the offline render: from the snapshot, and in the CLI's process from its bundle. */
const WAYS = [
  ['from the startup snapshot', {}],
  ['from the bundle (BERTH_RENDER_SNAPSHOT=0)', { BERTH_RENDER_SNAPSHOT: '0' }],
] as const;

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
  it('has a startup snapshot for this Node, and its bundle writes a code cache when run without it', async () => {
    expect(existsSync(blob)).toBe(true);
    expect(existsSync(join(ROOT, 'dist/cli/renderOffline.cjs'))).toBe(true);
    const r = await berth.cli(['render', dir, '--offline'], { env: { BERTH_RENDER_SNAPSHOT: '0' } });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(ROOT, 'dist/cli/renderOffline.cjs.cache'))).toBe(true);
  });

  for (const [name, app] of [
    ['the shop example', () => join(ROOT, 'examples/shop')],
    ['a generated app of 40 services', () => dir],
  ] as const) {
    for (const [way, env] of WAYS)
      it(`prints ${name} byte for byte as the render modules do, ${way}`, async () => {
        const expected = await fromModules(join(app(), 'berth.yaml'));
        expect(expected.length).toBeGreaterThan(1000);
        // Twice: the first run may write the code cache, the second runs from it.
        for (let i = 0; i < 2; i++) {
          const r = await berth.cli(['render', app(), '--offline', '-o', 'yaml'], { env });
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout).toBe(expected);
        }
      });
  }

  it('prints the same JSON objects from the snapshot as from the bundle', async () => {
    const [snapshot, bundle] = await Promise.all(
      WAYS.map(([, env]) => berth.cli(['render', dir, '--offline', '-o', 'json'], { env })),
    );
    expect(snapshot!.code, snapshot!.stderr).toBe(0);
    expect((JSON.parse(snapshot!.stdout) as unknown[]).length).toBeGreaterThan(40);
    expect(snapshot!.stdout).toBe(bundle!.stdout);
  });

  it('renders the same before the CLI loads (bin/berth.js and renderFast) as through the CLI, options included', async () => {
    // A global option before the command leaves the command line to the CLI: the same render through commander.
    const options = ['--offline', '-n', 'team-a', '--kubernetes-version', '1.25', '--ingress-class', 'nginx'];
    for (const format of ['yaml', 'json']) {
      const [fast, cli] = await Promise.all([
        berth.cli(['render', dir, ...options, '-o', format, '-e', 'staging']),
        berth.cli(['-o', format, 'render', dir, ...options, '-e', 'staging']),
      ]);
      expect(fast.code, fast.stderr).toBe(0);
      expect(cli.code, cli.stderr).toBe(0);
      expect(fast.stdout).toContain('team-a');
      expect(fast.stdout).toBe(cli.stdout);
    }
  });

  it('streams the control plane’s render before the CLI loads as the CLI does, and leaves errors to it', async () => {
    const options = ['-n', 'team-b', '--kubernetes-version', '1.25', '-e', 'local'];
    const [fast, cli] = await Promise.all([
      berth.cli(['render', dir, ...options]),
      berth.cli(['-o', 'yaml', 'render', dir, ...options]),
    ]);
    expect(fast.code, fast.stderr).toBe(0);
    expect(cli.code, cli.stderr).toBe(0);
    expect(fast.stdout).toContain('namespace: team-b');
    expect(fast.stdout).toBe(cli.stdout);
    const bad = join(dir, 'bad-served.yaml');
    await writeFile(bad, 'name: bad\nservices:\n  web:\n    image: x\n    replicas: two\n');
    const r = await berth.cli(['render', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${bad}:5:15 services.web.replicas: expected a number, got the string "two"`);
  });

  it('prints what the control plane renders for an app with no config set, but the revision', async () => {
    const offline = await berth.cli(['render', dir, '--offline', '-o', 'yaml']);
    expect(offline.code, offline.stderr).toBe(0);
    const served = await berth.cli(['render', dir, '-o', 'yaml']);
    expect(served.code, served.stderr).toBe(0);
    expect(served.stdout).toContain('berth.dev/revision: "1"');
    expect(served.stdout.replaceAll('berth.dev/revision: "1"', 'berth.dev/revision: "0"')).toBe(offline.stdout);
  });

  for (const [way, env] of WAYS)
    it(`names the file, line and field of every problem, as before, ${way}`, async () => {
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'name: bad\nservices:\n  web:\n    image: x\n    ports: [99999]\n    replicas: two\n');
      const r = await berth.cli(['render', bad, '--offline'], { env });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${bad}:5:13 services.web.ports.0: must be between 1 and 65535`);
      expect(r.stderr).toContain(`${bad}:6:15 services.web.replicas: expected a number, got the string "two"`);
      expect(await readFile(bad, 'utf8')).toContain('replicas: two');
      const json = await berth.cli(['render', bad, '--offline', '-o', 'json'], { env });
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'VALIDATION', problems: [{}, {}] } });
    });

  /** The `berth` command (bin/berth: a shell script) with `args` in `env` beside this process's. */
  async function command(
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const r = await run(join(ROOT, 'bin/berth'), args, {
        env: { ...process.env, BERTH_HOME: berth.home, ...env },
        maxBuffer: 64 << 20,
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('the berth command (bin/berth) renders offline as bin/berth.js does, options and BERTH_ENV included', async () => {
    const options = ['--offline', '-n', 'team-c', '--kubernetes-version', '1.25', '--ingress-class', 'nginx'];
    for (const format of ['yaml', 'json']) {
      const [one, two] = await Promise.all([
        command(['render', dir, ...options, '-o', format], { BERTH_ENV: 'staging' }),
        berth.cli(['render', dir, ...options, '-o', format], { env: { BERTH_ENV: 'staging' } }),
      ]);
      expect(one.code, one.stderr).toBe(0);
      expect(two.code, two.stderr).toBe(0);
      expect(one.stdout).toContain('team-c');
      expect(one.stdout).toBe(two.stdout);
    }
    // Not an offline render: bin/berth.js, as always.
    expect((await command(['--version'])).stdout).toBe((await berth.cli(['--version'])).stdout);
  });

  it('the berth command (bin/berth) finds its folder through symlinks, as npm links it in node_modules/.bin', async () => {
    const links = await mkdtemp(join(tmpdir(), 'berth-bin-link-'));
    try {
      await mkdir(join(links, '.bin'));
      await symlink(join(ROOT, 'bin/berth'), join(links, 'direct'));
      await symlink('../direct', join(links, '.bin/berth')); // relative, and a link to a link
      const viaLink = await run(join(links, '.bin/berth'), ['render', dir, '--offline'], { maxBuffer: 64 << 20 });
      expect(viaLink.stdout).toBe(await fromModules(join(dir, 'berth.yaml')));
      expect((await run(join(links, '.bin/berth'), ['--version'])).stdout).toBe(
        (await berth.cli(['--version'])).stdout,
      );
    } finally {
      await rm(links, { recursive: true, force: true });
    }
  });

  it('the berth command (bin/berth) reports a problem of berth.yaml as bin/berth.js does', async () => {
    const bad = join(dir, 'bad-command.yaml');
    await writeFile(bad, 'name: bad\nservices:\n  web:\n    image: x\n    ports: [99999]\n');
    for (const format of ['yaml', 'json']) {
      const [one, two] = await Promise.all([
        command(['render', bad, '--offline', '-o', format]),
        berth.cli(['render', bad, '--offline', '-o', format]),
      ]);
      expect(one.code).toBe(1);
      expect(one).toEqual({ code: two.code, stdout: two.stdout, stderr: two.stderr });
      expect(one.stderr).toContain('must be between 1 and 65535');
    }
  });

  /** Renders `dir` offline with a copy of the CLI (bin/ and the named files of dist/cli/); the packages are the install's. */
  async function renderWithCopy(
    files: string[],
    snapshot: 'copied' | 'broken',
    bin: 'berth.js' | 'berth' = 'berth.js',
  ): Promise<string> {
    const copy = await mkdtemp(join(tmpdir(), 'berth-render-copy-'));
    try {
      await mkdir(join(copy, 'bin'));
      await mkdir(join(copy, 'dist/cli'), { recursive: true });
      for (const f of await readdir(join(ROOT, 'bin'))) await copyFile(join(ROOT, 'bin', f), join(copy, 'bin', f));
      for (const f of files) await copyFile(join(ROOT, 'dist/cli', f), join(copy, 'dist/cli', f));
      await copyFile(join(ROOT, 'package.json'), join(copy, 'package.json'));
      await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
      const copiedBlob = join(copy, 'dist/cli', `renderOffline-${process.version}-${process.arch}.blob`);
      if (snapshot === 'copied') await copyFile(blob, copiedBlob);
      else await writeFile(copiedBlob, 'not a snapshot');
      const args = ['render', dir, '--offline'];
      const r = await (bin === 'berth'
        ? run(join(copy, 'bin/berth'), args, { maxBuffer: 64 << 20 })
        : run(process.execPath, [join(copy, 'bin/berth.js'), ...args], { maxBuffer: 64 << 20 }));
      return r.stdout;
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }

  it('renders from the snapshot alone (no bundle nor module of the render beside it)', async () => {
    expect(await renderWithCopy(['berth.cjs'], 'copied')).toBe(await fromModules(join(dir, 'berth.yaml')));
  });

  it('renders in its own process when the snapshot does not load (another build of this Node)', async () => {
    expect(await renderWithCopy(['berth.cjs', 'renderOffline.cjs'], 'broken')).toBe(
      await fromModules(join(dir, 'berth.yaml')),
    );
  });

  it('the berth command (bin/berth) renders from the snapshot alone, and without it when it does not load', async () => {
    const expected = await fromModules(join(dir, 'berth.yaml'));
    // No renderOffline.cjs nor renderFast.cjs: only the snapshot itself can have rendered it.
    expect(await renderWithCopy(['berth.cjs'], 'copied', 'berth')).toBe(expected);
    expect(await renderWithCopy(['berth.cjs', 'renderOffline.cjs'], 'broken', 'berth')).toBe(expected);
  });
});
