/**
 * Config writes from real child processes: an acknowledged write survives SIGKILL, and two
 * processes racing on the same base version cannot both win. The children run this folder's
 * sources, transpiled to a temp dir (Node 20 cannot run TypeScript itself).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../store/store.js';
import { createConfigSets } from './configSets.js';
import { loadSecretBox } from './secretBox.js';

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = path.dirname(srcDir);

/**
 * Writes one change per value argument, printing "ok <version>" after each is acknowledged, or
 * the error code and message. A base of "current" reads the current version before each write.
 */
const CHILD = `
import { openStore } from './src/store/store.js';
import { loadSecretBox } from './src/config/secretBox.js';
import { createConfigSets } from './src/config/configSets.js';
const [home, app, env, base, ...values] = process.argv.slice(2);
const store = await openStore({ file: home + '/berth.db' });
const configs = createConfigSets(store.db, await loadSecretBox(home));
let version = Number(base);
for (const value of values) {
  try {
    if (base === 'current') version = (await configs.current(app, env)).version;
    const info = await configs.write(app, env, {
      baseVersion: version,
      set: { VALUE: { value }, TOKEN: { value: 'tok-' + value, secret: true } },
      author: 'child-' + process.pid,
    });
    version = info.version;
    console.log('ok ' + version);
  } catch (err) {
    console.log((err.code ?? 'ERROR') + ' ' + err.message);
  }
}
console.log('done');
// Stay alive: the parent decides when this process dies.
setInterval(() => {}, 1000);
`;

async function transpileTree(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      await mkdir(target, { recursive: true });
      await transpileTree(source, target);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      const { outputText } = ts.transpileModule(await readFile(source, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
        fileName: source,
      });
      await writeFile(target.replace(/\.ts$/, '.js'), outputText);
    }
  }
}

describe('config writes from other processes', () => {
  let buildDir: string;
  let home: string | undefined;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    buildDir = await mkdtemp(path.join(os.tmpdir(), 'berth-child-build-'));
    await writeFile(path.join(buildDir, 'package.json'), '{"type":"module"}');
    await symlink(path.join(repoDir, 'node_modules'), path.join(buildDir, 'node_modules'), 'dir');
    await mkdir(path.join(buildDir, 'src'), { recursive: true });
    await writeFile(
      path.join(buildDir, 'src', 'errors.js'),
      ts.transpileModule(await readFile(path.join(srcDir, 'errors.ts'), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText,
    );
    for (const folder of ['model', 'store', 'config']) {
      await mkdir(path.join(buildDir, 'src', folder), { recursive: true });
      await transpileTree(path.join(srcDir, folder), path.join(buildDir, 'src', folder));
    }
    await writeFile(path.join(buildDir, 'child.js'), CHILD);
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
    if (home !== undefined) await rm(home, { recursive: true, force: true });
    home = undefined;
  });
  afterAll(async () => {
    await rm(buildDir, { recursive: true, force: true });
  });

  /** Starts a child; `lines` collects its stdout lines, `waitFor` resolves on a matching one. */
  function startChild(args: string[]): { child: ChildProcess; lines: string[]; waitFor(re: RegExp): Promise<string> } {
    const child = spawn(process.execPath, [path.join(buildDir, 'child.js'), ...args], {
      cwd: buildDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const lines: string[] = [];
    const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
    let stderr = '';
    let buffered = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        for (const w of waiters.filter((x) => x.re.test(line))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
    return {
      child,
      lines,
      waitFor: (re) =>
        new Promise<string>((resolve, reject) => {
          const seen = lines.find((l) => re.test(l));
          if (seen !== undefined) return resolve(seen);
          waiters.push({ re, resolve });
          child.once('exit', (code, signal) =>
            reject(new Error(`child exited (${code ?? signal}) before ${re}: ${lines.join('|')} ${stderr}`)),
          );
        }),
    };
  }

  it('keeps a write acknowledged right before the writer was killed with SIGKILL', async () => {
    const dir = (home = await mkdtemp(path.join(os.tmpdir(), 'berth-kill-')));
    const { child, waitFor } = startChild([dir, 'shop', 'local', '0', 'first', 'second', 'third']);
    await waitFor(/^ok 2$/);
    child.kill('SIGKILL');
    const [, signal] = (await new Promise((resolve) => child.once('exit', (...a) => resolve(a)))) as [
      number | null,
      string | null,
    ];
    expect(signal).toBe('SIGKILL');

    const store = await openStore({ file: path.join(dir, 'berth.db') });
    try {
      const configs = createConfigSets(store.db, await loadSecretBox(dir));
      const current = await configs.current('shop', 'local');
      expect(current.version).toBeGreaterThanOrEqual(2);
      const v2 = await configs.resolve('shop', 'local', 2);
      expect(v2.values).toEqual({
        TOKEN: { value: 'tok-second', secret: true },
        VALUE: { value: 'second', secret: false },
      });
      const history = await configs.history('shop', 'local');
      expect(history.map((h) => h.version)).toEqual(
        Array.from({ length: current.version }, (_, i) => current.version - i),
      );
    } finally {
      await store.close();
    }
  });

  it('lets exactly one of two processes writing on the same base win', async () => {
    const dir = (home = await mkdtemp(path.join(os.tmpdir(), 'berth-race-')));
    // Create the store and key first so both children only race on the write itself.
    const store = await openStore({ file: path.join(dir, 'berth.db') });
    const box = await loadSecretBox(dir);
    const a = startChild([dir, 'shop', 'local', '0', 'from-a']);
    const b = startChild([dir, 'shop', 'local', '0', 'from-b']);
    await Promise.all([a.waitFor(/^done$/), b.waitFor(/^done$/)]);
    const outcomes = [a.lines[0]!, b.lines[0]!].sort();
    expect(outcomes[0]).toMatch(/^CONFLICT config of shop\/local changed since version 0 \(now 1\)/);
    expect(outcomes[1]).toBe('ok 1');
    try {
      const configs = createConfigSets(store.db, box);
      const history = await configs.history('shop', 'local');
      expect(history).toHaveLength(1);
      const winner = a.lines[0] === 'ok 1' ? 'from-a' : 'from-b';
      expect((await configs.resolve('shop', 'local', 1)).values.VALUE!.value).toBe(winner);
    } finally {
      await store.close();
    }
  });

  it('never loses or duplicates a version when two processes keep writing at once', async () => {
    const dir = (home = await mkdtemp(path.join(os.tmpdir(), 'berth-contend-')));
    const store = await openStore({ file: path.join(dir, 'berth.db') });
    const box = await loadSecretBox(dir);
    const rounds = 25;
    const a = startChild([dir, 'shop', 'local', 'current', ...Array.from({ length: rounds }, (_, i) => `a${i}`)]);
    const b = startChild([dir, 'shop', 'local', 'current', ...Array.from({ length: rounds }, (_, i) => `b${i}`)]);
    await Promise.all([a.waitFor(/^done$/), b.waitFor(/^done$/)]);
    const results = [...a.lines, ...b.lines].filter((l) => l !== 'done');
    expect(results).toHaveLength(2 * rounds);
    // Every attempt either made a version or was refused as stale: no "database is locked".
    for (const line of results)
      expect(line).toMatch(/^(ok \d+|CONFLICT config of shop\/local changed since version \d+ \(now \d+\); .*)$/);
    const made = results.filter((l) => l.startsWith('ok ')).map((l) => Number(l.slice(3)));
    try {
      const history = await createConfigSets(store.db, box).history('shop', 'local');
      expect(new Set(made).size).toBe(made.length);
      expect(history.map((h) => h.version).sort((x, y) => x - y)).toEqual([...made].sort((x, y) => x - y));
      expect(made.length).toBeGreaterThanOrEqual(rounds);
    } finally {
      await store.close();
    }
  });
});
