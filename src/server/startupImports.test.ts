/**
 * What a control plane loads at start: the modules `berth server` imports statically (not `import
 * type`, not a dynamic import). The Kubernetes client is ~26 MB of the daemon's 58 MB of heap: one-machine
 * control planes never use it, and every major GC of an idle one marked it.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The packages imported statically by every module reachable from `entry`, each with one import chain to it. */
function staticPackages(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const chain = new Map<string, string[]>([[entry, [entry]]]);
  const queue = [entry];
  for (let file; (file = queue.shift()) !== undefined;) {
    const src = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest);
    for (const st of src.statements) {
      let spec: string | undefined;
      if (ts.isImportDeclaration(st) && !st.importClause?.isTypeOnly) {
        const named = st.importClause?.namedBindings;
        // import { type A, type B } from '…' loads nothing either.
        const typesOnly =
          st.importClause !== undefined &&
          st.importClause.name === undefined &&
          named !== undefined &&
          ts.isNamedImports(named) &&
          named.elements.length > 0 &&
          named.elements.every((e) => e.isTypeOnly);
        if (!typesOnly) spec = (st.moduleSpecifier as ts.StringLiteral).text;
      } else if (ts.isExportDeclaration(st) && !st.isTypeOnly && st.moduleSpecifier)
        spec = (st.moduleSpecifier as ts.StringLiteral).text;
      if (spec === undefined) continue;
      if (!spec.startsWith('.')) {
        if (!packages.has(spec)) packages.set(spec, chain.get(file)!);
        continue;
      }
      const to = path.join(path.dirname(file), spec.replace(/\.js$/, '.ts'));
      if (chain.has(to) || !fs.existsSync(path.join(ROOT, to))) continue;
      chain.set(to, [...chain.get(file)!, to]);
      queue.push(to);
    }
  }
  return packages;
}

describe('the control plane at start', () => {
  it('loads no Kubernetes client: it is imported when an environment first runs on Kubernetes', () => {
    // `berth server` imports the daemon when it runs (src/cli/commands/server.ts).
    const packages = staticPackages('src/server/daemon.ts');
    expect(packages.size).toBeGreaterThan(3); // the walk found the server's packages (fastify, better-sqlite3, …)
    const kube = [...packages].filter(([name]) => name.startsWith('@kubernetes/'));
    expect(kube.map(([name, via]) => `${name} via ${via.join(' → ')}`)).toEqual([]);
  });
});
