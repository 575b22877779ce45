/**
 * Every package in package-lock.json (production and dev) declares Node.js versions that include
 * all of Berth's: an upgrade to a release that drops a line Berth claims in package.json's
 * engines.node fails here, not on a user's machine as an EBADENGINE warning and a crash.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import semver from 'semver';
import { supportedLines } from './server/nodeVersion.js';

const root = new URL('../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[]; dev?: boolean }>;
};
const claimed = manifest.engines.node;

describe('Node.js engines', () => {
  it('claims the maintained lines 20, 22, 24 and 26 and only those', () => {
    expect(supportedLines(claimed).map(([major]) => major)).toEqual([20, 22, 24, 26]);
  });

  it("no package in package-lock.json excludes a Node.js version Berth's engines.node claims", () => {
    const excluding: string[] = [];
    let checked = 0;
    for (const [path, pkg] of Object.entries(lock.packages)) {
      // Old packages list engines as an array of strings, which npm ignores.
      const wanted = path === '' || Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
      if (wanted === undefined) continue;
      checked++;
      if (!semver.subset(claimed, wanted, { includePrerelease: false })) {
        const lowest = supportedLines(claimed)
          .map((v) => v.join('.'))
          .filter((v) => !semver.satisfies(v, wanted));
        excluding.push(
          `${path}@${pkg.version ?? '?'} needs node "${wanted}"${lowest.length ? ` (not ${lowest.join(', ')})` : ''}`,
        );
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(excluding).toEqual([]);
  });

  it('the check finds a package that drops a claimed line', () => {
    expect(semver.subset(claimed, '>=22')).toBe(false);
    expect(semver.subset(claimed, '^20.19.0 || ^22.12.0 || >=23.5.0')).toBe(true);
  });
});
