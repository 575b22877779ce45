/**
 * Whether this Node.js is one Berth supports. The supported lines are package.json's `engines.node`,
 * written as caret ranges joined by `||` (`^20.19.0 || ^22.13.0 || ^24.0.0 || ^26.0.0`): one per
 * maintained line, each from the first release whose APIs Berth and its dependencies need. The
 * control plane refuses to start on another version; the CLI's other commands, only clients of it,
 * still run (src/engines.test.ts keeps every dependency's own `engines` inside this range).
 */
import { supportedNode } from '../version.js';
import { UnavailableError } from '../errors.js';

type Triple = readonly [number, number, number];

function parseVersion(text: string): Triple | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** The lowest version of each line `range` accepts; throws on anything but `^x.y.z` terms joined by `||`. */
export function supportedLines(range: string): Triple[] {
  return range.split('||').map((term) => {
    const t = term.trim();
    const v = t.startsWith('^') ? parseVersion(t.slice(1)) : undefined;
    if (v === undefined || v[0] === 0) {
      throw new Error(`engines.node: "${t}" is not a caret range of a Node.js line (like ^22.13.0)`);
    }
    return v;
  });
}

/** Whether `nodeVersion` (like `v22.12.0` or `26.10.0`) is in `range` (package.json's form, see supportedLines). */
export function isSupportedNode(nodeVersion: string, range: string = supportedNode): boolean {
  const v = parseVersion(nodeVersion);
  if (v === undefined) return false;
  return supportedLines(range).some(
    ([major, minor, patch]) => v[0] === major && (v[1] > minor || (v[1] === minor && v[2] >= patch)),
  );
}

/** The refusal shown when the control plane is started on another Node.js: names what runs it and what would. */
export function unsupportedNodeMessage(nodeVersion: string, range: string = supportedNode): string {
  const lines = supportedLines(range)
    .map(([major, minor, patch]) => `${major} (${major}.${minor}.${patch} or later)`)
    .join(', ');
  return (
    `Berth's control plane needs Node.js ${lines}; this is Node.js ${nodeVersion.replace(/^v?/, 'v')} ` +
    `(${process.execPath}). Install a supported Node.js (package.json engines.node: "${range}") and start it again.`
  );
}

/** Throws UnavailableError with unsupportedNodeMessage unless `nodeVersion` is supported. */
export function assertSupportedNode(nodeVersion: string = process.versions.node, range: string = supportedNode): void {
  if (!isSupportedNode(nodeVersion, range)) throw new UnavailableError(unsupportedNodeMessage(nodeVersion, range));
}
