/**
 * A plan names fields as berth.yaml does (`health.readiness.period: "1s" → "2s"`), not as the
 * rendered state stores them (`readiness.periodMs: 1000 → 2000`): the reader edits berth.yaml,
 * so that is where a changed field should be found. Values with a unit in the stored name are
 * shown with the unit berth.yaml writes (durations, cpu, memory).
 */

/** Stored path → berth.yaml path, first match wins (applied before the unit suffix is dropped). */
const RENAMES: readonly [RegExp, string][] = [
  [/^(readiness|liveness)\.kind$/, 'health.$1'],
  [/^(readiness|liveness)\.path$/, 'health.$1.http.path'],
  [/^(readiness|liveness)\.command$/, 'health.$1.exec.command'],
  [/^(readiness|liveness)\.(.+)$/, 'health.$1.$2'],
  [/^resources\.cpuRequestMillis$/, 'resources.requests.cpu'],
  [/^resources\.cpuLimitMillis$/, 'resources.limits.cpu'],
  [/^resources\.memoryRequestBytes$/, 'resources.requests.memory'],
  [/^resources\.memoryLimitBytes$/, 'resources.limits.memory'],
  [/^policy\.circuitBreaker\.openMs$/, 'policy.circuitBreaker.openFor'],
  // The code snapshot a process service runs (its folder's digest): `code: sha256:… → sha256:…`.
  [/^codeDigest$/, 'code'],
];

/** Paths whose last part is a name the user chose (an env key, a file, a port): never renamed. */
const NAMED = /^(env|files|ports)\./;

/** The berth.yaml path of a stored field path, e.g. `files.app.conf` → `files[app.conf]`. */
export function specPathOf(path: string): string {
  if (path.startsWith('files.')) return `files[${path.slice('files.'.length)}]`;
  if (path.startsWith('ports.')) return `ports[${path.slice('ports.'.length)}]`;
  if (NAMED.test(path)) return path;
  for (const [re, to] of RENAMES) if (re.test(path)) return path.replace(re, to).replace(/Ms$/, '');
  return path.replace(/Ms$/, '');
}

/** A stored value in berth.yaml's unit: `1500` at `…periodMs` → `1500ms`, `30000` → `30s`. */
export function specValueOf(path: string, value: unknown): unknown {
  if (typeof value !== 'number' || NAMED.test(path)) return value;
  if (path.endsWith('Ms')) return value % 1000 === 0 ? `${value / 1000}s` : `${value}ms`;
  if (path.endsWith('Millis')) return value % 1000 === 0 ? String(value / 1000) : `${value}m`;
  if (path.endsWith('Bytes')) return value % 1048576 === 0 ? `${value / 1048576}Mi` : String(value);
  return value;
}
