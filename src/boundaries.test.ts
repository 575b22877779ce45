import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { boundariesPlugin, isWalled, partOf, PARTS, ROOT, violation } from '../scripts/boundaries/boundaries.js';

/** Every source file of the walled parts (src/ and console/src/, tests aside), repository-relative. */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') && isWalled(rel)) out.push(rel);
    }
  };
  walk('src');
  walk('console/src');
  return out;
}

interface Import {
  from: string;
  to: string;
  specifier: string;
}

/** The relative imports of every source file (import, export-from, dynamic import), resolved. */
function imports(): Import[] {
  const out: Import[] = [];
  for (const from of sourceFiles()) {
    const text = fs.readFileSync(path.join(ROOT, from), 'utf8');
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const to = path
        .relative(ROOT, path.resolve(ROOT, path.dirname(from), fileName))
        .split(path.sep)
        .join('/');
      out.push({ from, to, specifier: fileName });
    }
  }
  return out;
}

/** The strongly-connected components (more than one part) of the part graph, Tarjan's algorithm. */
function cycles(edges: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The table under docs/architecture.md's "Parts and arrows": part → [files, may import]. */
function docsTable(): Map<string, { paths: string[]; may: string[] }> {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
  const section = doc.split('\n## Parts and arrows\n')[1]?.split('\n## ')[0] ?? '';
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  const ticks = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  return new Map(
    rows.map((row) => {
      const cells = row.split('|').map((c) => c.trim());
      const may = cells[4]!;
      return [ticks(cells[1]!)[0]!, { paths: ticks(cells[2]!), may: may.startsWith('any part') ? ['*'] : ticks(may) }];
    }),
  );
}

describe('the walls between parts (docs/architecture.md, "Parts and arrows")', () => {
  it('put every source file in a part and every import on an allowed arrow', () => {
    const files = sourceFiles();
    expect(files.filter((f) => partOf(f) === undefined)).toEqual([]);
    const broken = imports()
      .map((i) => violation(i.from, i.to, false))
      .filter((why): why is string => why !== undefined && !why.includes('types only'));
    expect(broken).toEqual([]);
  });

  it('leave no import cycle between folders', () => {
    const edges = new Map<string, Set<string>>();
    const witnesses = new Map<string, string>();
    for (const i of imports()) {
      const a = partOf(i.from)?.name;
      const b = partOf(i.to)?.name;
      if (!a || !b || a === b || a === 'api' || a === 'console') continue;
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a)!.add(b);
      if (!witnesses.has(`${a}>${b}`)) witnesses.set(`${a}>${b}`, `${i.from} → ${i.specifier}`);
    }
    const described = cycles(edges).map((c) =>
      c.flatMap((a) => c.filter((b) => edges.get(a)?.has(b)).map((b) => `${a} → ${b} (${witnesses.get(`${a}>${b}`)})`)),
    );
    expect(described).toEqual([]);
  });

  it('leave no import circle between files either', () => {
    const edges = new Map<string, Set<string>>();
    const known = new Set(sourceFiles());
    const fileOf = (to: string): string | undefined =>
      [to, to.replace(/\.js$/, '.ts'), to.replace(/\.js$/, '.tsx'), `${to}.ts`, `${to}.tsx`].find((f) => known.has(f));
    for (const i of imports()) {
      const to = fileOf(i.to);
      if (to === undefined) continue;
      if (!edges.has(i.from)) edges.set(i.from, new Set());
      edges.get(i.from)!.add(to);
    }
    expect(cycles(edges)).toEqual([]);
  });

  it('keep the model dependency-free: it imports only its own files', () => {
    const outside = sourceFiles()
      .filter((f) => f.startsWith('src/model/'))
      .flatMap((f) =>
        ts
          .preProcessFile(fs.readFileSync(path.join(ROOT, f), 'utf8'), true, true)
          .importedFiles.filter((i) => !i.fileName.startsWith('./'))
          .map((i) => `${f} → ${i.fileName}`),
      );
    expect(outside).toEqual([]);
  });

  it('say in docs/architecture.md exactly what scripts/boundaries/parts.json says', () => {
    const table = docsTable();
    expect([...table.keys()]).toEqual(PARTS.map((p) => p.name));
    for (const p of PARTS) expect(table.get(p.name), p.name).toEqual({ paths: p.paths, may: p.may });
  });
});

describe('eslint rule berth/boundaries', () => {
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts', '**/*.tsx'],
        languageOptions: { parser: tseslint.parser as never },
        plugins: { berth: boundariesPlugin },
        rules: { 'berth/boundaries': 'error' },
      },
    ],
  });
  const lint = async (file: string, code: string): Promise<string[]> => {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
  };

  it('fails a forbidden arrow, naming it, what the part may import and the docs section', async () => {
    const messages = await lint(
      'src/spec/x.ts',
      "import type { Runtime } from '../runtime/runtime.js';\nexport type R = Runtime;\n",
    );
    expect(messages).toEqual([
      'berth/boundaries: spec → runtime is not an allowed arrow (src/spec/x.ts imports src/runtime/runtime.js); spec may import model, base. See docs/architecture.md, "Parts and arrows"',
    ]);
    expect(
      await lint('src/environment/x.ts', "export { zodProblems } from '../server/zodProblems.js';\n"),
    ).toHaveLength(1);
    expect(await lint('src/model/x.ts', "export { BerthError } from '../errors.js';\n")).toEqual([
      'berth/boundaries: model → base is not an allowed arrow (src/model/x.ts imports src/errors.js); model may import nothing outside itself. See docs/architecture.md, "Parts and arrows"',
    ]);
  });

  it('lets an allowed arrow and a test through', async () => {
    expect(
      await lint('src/spec/x.ts', "import type { Workload } from '../model/workload.js';\nexport type W = Workload;\n"),
    ).toEqual([]);
    expect(
      await lint('src/release/x.ts', "import { parseSpec } from '../spec/load.js';\nexport const p = parseSpec;\n"),
    ).toEqual([]);
    expect(
      await lint(
        'src/spec/x.test.ts',
        "import { LocalRuntime } from '../runtime/local/localRuntime.js';\nexport const r = LocalRuntime;\n",
      ),
    ).toEqual([]);
  });

  it('lets the console import only the API contract and the model', async () => {
    expect(
      await lint(
        'console/src/x.ts',
        "import type { PlanResult } from '../../src/release/engine.js';\nexport type P = PlanResult;\n",
      ),
    ).toEqual([
      'berth/boundaries: console → release is not an allowed arrow (console/src/x.ts imports src/release/engine.js); console may import api, model. See docs/architecture.md, "Parts and arrows"',
    ]);
    expect(
      await lint(
        'console/src/x.ts',
        "import type { Plan } from '../../src/api/types.js';\nimport { message } from '../../src/model/messages.js';\nexport type P = Plan;\nexport const m = message;\n",
      ),
    ).toEqual([]);
  });

  it('lets the API contract re-export types only', async () => {
    expect(await lint('src/api/x.ts', "export type { Release } from '../release/releases.js';\n")).toEqual([]);
    expect(await lint('src/api/x.ts', "export { ReleaseStatus } from '../model/releaseStatus.js';\n")).toEqual([
      'berth/boundaries: src/api/x.ts (api) may import types only: use `import type` / `export type` (docs/architecture.md, "Parts and arrows")',
    ]);
  });
});
