/** Reads a dotted path (`spec.template.spec.containers.0`) from rendered objects in tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on deep, untyped object trees
export function at(value: unknown, path: string): any {
  let v: unknown = value;
  for (const part of path ? path.split('.') : []) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}
