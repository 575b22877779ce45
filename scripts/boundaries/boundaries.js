/**
 * The walls between Berth's parts (docs/architecture.md, "Parts and arrows"): which part a file is in,
 * whether an import from one part to another is an allowed arrow, and the ESLint rule
 * `berth/boundaries` that fails a wrong import with a message naming the arrow and the section.
 * The table is parts.json beside this file; src/boundaries.test.ts keeps the docs' table the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (this file is scripts/boundaries/boundaries.js). */
export const ROOT = path.resolve(here, '..', '..');
export const PARTS = JSON.parse(fs.readFileSync(path.join(here, 'parts.json'), 'utf8')).parts;
export const DOC = 'docs/architecture.md, "Parts and arrows"';

const byName = new Map(PARTS.map((p) => [p.name, p]));

/** Tests, their fixtures and test support (`testing.ts`, imported by tests only) are outside the walls. */
export function isTestFile(rel) {
  return /\.test\.tsx?$/.test(rel) || /(^|\/)testing\.ts$/.test(rel) || rel.split('/').includes('testdata');
}

/** The part a repository-relative path (`src/spec/schema.ts`) is in, or undefined when none claims it. */
export function partOf(rel) {
  const posix = rel.split(path.sep).join('/');
  let best;
  let bestLength = -1;
  for (const part of PARTS) {
    for (const p of part.paths) {
      const match = p.endsWith('/*')
        ? posix.startsWith(p.slice(0, -1)) && !posix.slice(p.length - 1).includes('/')
        : posix.startsWith(p);
      if (match && p.length > bestLength) {
        best = part;
        bestLength = p.length;
      }
    }
  }
  return best;
}

/** Whether `rel` is a file the walls apply to (source of a part, not a test). */
export function isWalled(rel) {
  const posix = rel.split(path.sep).join('/');
  return (posix.startsWith('src/') || posix.startsWith('console/src/')) && !isTestFile(posix);
}

/**
 * Why `fromRel` may not import `toRel` (repository-relative), or undefined when it may. `typeOnly`:
 * the import brings types only.
 */
export function violation(fromRel, toRel, typeOnly) {
  if (!isWalled(fromRel)) return undefined;
  const from = partOf(fromRel);
  if (!from)
    return `${fromRel} is in no part of ${DOC}: add its folder to that table and to scripts/boundaries/parts.json`;
  const to = partOf(toRel);
  if (!to) {
    // Outside src/ (test/support, node_modules by path): only tests may reach there.
    return from.name === 'console' || toRel.startsWith('src/')
      ? `${fromRel} may not import ${toRel}: it is in no part of ${DOC}`
      : `${fromRel} (${from.name}) may not import ${toRel}: only tests reach outside the parts (${DOC})`;
  }
  if (from.typesOnly && !typeOnly)
    return `${fromRel} (${from.name}) may import types only: use \`import type\` / \`export type\` (${DOC})`;
  if (from === to || from.may.includes('*') || from.may.includes(to.name)) return undefined;
  const allowed = from.may.length === 0 ? 'nothing outside itself' : from.may.join(', ');
  return `${from.name} → ${to.name} is not an allowed arrow (${fromRel} imports ${toRel}); ${from.name} may import ${allowed}. See ${DOC}`;
}

/** The part names, in the docs' order. */
export function partNames() {
  return PARTS.map((p) => p.name);
}

export { byName as partsByName };

function importIsTypeOnly(node) {
  if (node.type === 'ImportDeclaration')
    return (
      node.importKind === 'type' ||
      (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === 'type'))
    );
  if (node.type === 'ExportNamedDeclaration')
    return (
      node.exportKind === 'type' ||
      (node.specifiers.length > 0 && node.specifiers.every((s) => s.exportKind === 'type'))
    );
  if (node.type === 'ExportAllDeclaration') return node.exportKind === 'type';
  return false;
}

/** ESLint rule `berth/boundaries`. */
export const boundariesRule = {
  meta: {
    type: 'problem',
    docs: { description: `imports follow the allowed arrows between parts (${DOC})` },
    schema: [],
  },
  create(context) {
    const file = path.relative(ROOT, context.filename).split(path.sep).join('/');
    if (!isWalled(file)) return {};
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = path
        .relative(ROOT, path.resolve(path.dirname(context.filename), source.value))
        .split(path.sep)
        .join('/');
      const why = violation(file, target, importIsTypeOnly(node));
      if (why) context.report({ node: source, message: why });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source : undefined),
    };
  },
};

export const boundariesPlugin = { meta: { name: 'berth' }, rules: { boundaries: boundariesRule } };
