/**
 * A trace's spans as a tree (the CLI's and the console's waterfalls): each span under its parent,
 * siblings by start; a span whose parent is not among them is a root.
 */
import type { StoredSpan } from './trace.js';

/** Spans in tree order (a parent before its children, siblings by start) with their depth. */
export function spanTree<S extends StoredSpan>(spans: readonly S[]): { span: S; depth: number }[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map<string, S[]>();
  const roots: S[] = [];
  for (const s of spans) {
    if (s.parentId !== undefined && byId.has(s.parentId) && s.parentId !== s.spanId) {
      const list = children.get(s.parentId) ?? [];
      list.push(s);
      children.set(s.parentId, list);
    } else roots.push(s);
  }
  const byStart = (a: S, b: S): number => a.startMs - b.startMs;
  const out: { span: S; depth: number }[] = [];
  const seen = new Set<string>();
  const walk = (s: S, depth: number): void => {
    if (seen.has(s.spanId)) return; // a span id repeated by a broken client: shown once
    seen.add(s.spanId);
    out.push({ span: s, depth });
    for (const c of (children.get(s.spanId) ?? []).sort(byStart)) walk(c, depth + 1);
  };
  for (const r of roots.sort(byStart)) walk(r, 0);
  return out;
}
