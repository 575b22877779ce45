/** The context digest on real files: what changes it, what does not, and .dockerignore. */
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandContextDigest, imageContextDigest } from './contextDigest.js';
import { parseDockerignore } from './dockerignore.js';

const image = { dockerfile: 'Dockerfile', args: {} as Record<string, string> };

describe('imageContextDigest', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-ctx-'));
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /app\n');
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', 'main.js'), 'console.log(1)\n');
    await writeFile(join(dir, 'README.md'), 'docs\n');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const digest = async (b = image) => (await imageContextDigest(dir, b, 'ctx')).digest;

  it('is stable, and changes with a file content, a new file, a mode, a link, args and target', async () => {
    const a = await digest();
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await digest()).toBe(a);
    await writeFile(join(dir, 'src', 'main.js'), 'console.log(2)\n');
    const b = await digest();
    expect(b).not.toBe(a);
    await chmod(join(dir, 'src', 'main.js'), 0o755);
    const c = await digest();
    expect(c).not.toBe(b);
    await writeFile(join(dir, 'src', 'new.js'), '');
    const d = await digest();
    expect(d).not.toBe(c);
    await symlink('main.js', join(dir, 'src', 'link.js'));
    const e = await digest();
    expect(e).not.toBe(d);
    expect(await digest({ ...image, args: { V: '1' } })).not.toBe(e);
    expect(await digest({ ...image, target: 'runtime' } as typeof image)).not.toBe(e);
  });

  it('leaves out .git and what .dockerignore says, but not its exceptions', async () => {
    const a = await digest();
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    expect(await digest()).toBe(a);
    await writeFile(join(dir, '.dockerignore'), '# docs\n*.md\nlogs/\n!logs/keep.txt\n');
    const withIgnore = await digest();
    expect(withIgnore).not.toBe(a); // the .dockerignore file itself is part of the context
    await writeFile(join(dir, 'README.md'), 'other docs\n');
    await mkdir(join(dir, 'logs'));
    await writeFile(join(dir, 'logs', 'a.log'), 'x');
    expect(await digest()).toBe(withIgnore);
    await writeFile(join(dir, 'logs', 'keep.txt'), 'kept');
    const kept = await imageContextDigest(dir, image, 'ctx');
    expect(kept.digest).not.toBe(withIgnore);
    expect(kept.entries.map((e) => e.path)).toContain('logs/keep.txt');
    expect(kept.entries.map((e) => e.path)).not.toContain('logs/a.log');
  });

  it('changes with the Dockerfile even when .dockerignore leaves it out', async () => {
    await writeFile(join(dir, '.dockerignore'), 'Dockerfile\n');
    const a = await digest();
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
    expect(await digest()).not.toBe(a);
  });

  it('names a missing Dockerfile', async () => {
    await expect(imageContextDigest(dir, { ...image, dockerfile: 'nope/Dockerfile' }, 'ctx of api')).rejects.toThrow(
      /ctx of api: the Dockerfile .*nope\/Dockerfile does not exist/,
    );
  });
});

describe('commandContextDigest', () => {
  it('leaves out the output folder, and changes with the sources and the command', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-ctx-'));
    try {
      await writeFile(join(dir, 'main.ts'), 'export {}\n');
      const b = { command: 'make', output: 'dist' };
      const a = (await commandContextDigest(dir, b, 'ctx')).digest;
      await mkdir(join(dir, 'dist'));
      await writeFile(join(dir, 'dist', 'main.js'), 'built');
      expect((await commandContextDigest(dir, b, 'ctx')).digest).toBe(a);
      expect((await commandContextDigest(dir, { ...b, command: 'make all' }, 'ctx')).digest).not.toBe(a);
      await writeFile(join(dir, 'main.ts'), 'export const x = 1\n');
      expect((await commandContextDigest(dir, b, 'ctx')).digest).not.toBe(a);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('parseDockerignore', () => {
  it('matches as Docker does: anchored, * in a segment, ** across, folders, the last pattern wins', () => {
    const r = parseDockerignore('/node_modules\n*.log\n**/*.tmp\ndocs\n!docs/keep.md\n# comment\n');
    expect(r.ignored('node_modules/x/y.js')).toBe(true);
    expect(r.ignored('a.log')).toBe(true);
    expect(r.ignored('sub/a.log')).toBe(false);
    expect(r.ignored('a/b/c.tmp')).toBe(true);
    expect(r.ignored('c.tmp')).toBe(true);
    expect(r.ignored('docs/a.md')).toBe(true);
    expect(r.ignored('docs/keep.md')).toBe(false);
    expect(r.ignored('src/main.js')).toBe(false);
    expect(r.hasExceptions).toBe(true);
  });
});
