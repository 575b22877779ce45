/**
 * Writes a service's config files (`workload.files`) into `$BERTH_CONFIG_DIR`: one directory per
 * workload hash, so a rolling update never changes the files under a running old replica.
 */
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { RuntimeError } from '../../errors.js';
import type { WorkloadFile } from '../../model/workload.js';

/** Writes `files` under `dir` (created 0700); secret files get mode 0600. Idempotent. */
export function writeConfigFiles(dir: string, files: WorkloadFile[]): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const f of files) {
    const rel = normalize(f.path);
    if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`) || rel === '.') {
      throw new RuntimeError(
        `config file path ${JSON.stringify(f.path)} must be relative and stay inside the config directory`,
      );
    }
    const target = join(dir, rel);
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    const mode = f.secret ? 0o600 : 0o644;
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, f.content, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, target);
  }
}

/** Removes config directories of hashes no replica uses any more. */
export function pruneConfigDirs(configRoot: string, keepHashes: Set<string>): void {
  let names: string[];
  try {
    names = readdirSync(configRoot);
  } catch {
    return;
  }
  for (const name of names) {
    if (!keepHashes.has(name)) rmSync(join(configRoot, name), { recursive: true, force: true });
  }
}
