// Builds the native shim (the C files of native/shim/, main in berth-shim.c) into dist/native/berth-shim,
// as part of `npm run build` (which `npm ci`'s `prepare` runs). A plain C compiler call rather than a node-gyp
// "executable" target: the shim is a few C files with no Node headers and no dependencies, so it needs
// neither Python nor gyp nor a download of Node's headers, and builds in a fraction of a second.
//
// Without a C compiler (or with BERTH_NATIVE_SHIM_BUILD=0) nothing is built and the build still
// succeeds: the runtime then runs replicas under the Node shim and says so once at start.
// CC picks the compiler (default: the first of cc, gcc, clang on PATH); CFLAGS adds flags.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'native', 'shim');
// Every .c file of the folder, compiled and linked in one call (shim.h is what they share).
const sources = readdirSync(sourceDir)
  .filter((f) => f.endsWith('.c'))
  .sort()
  .map((f) => join(sourceDir, f));
const outDir = join(root, 'dist', 'native');
const out = join(outDir, 'berth-shim');

function onPath(name) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, name)));
}

function main() {
  if (process.env.BERTH_NATIVE_SHIM_BUILD === '0') {
    console.log('native shim: not built (BERTH_NATIVE_SHIM_BUILD=0); replicas will run under the Node shim');
    return;
  }
  if (process.platform !== 'linux') {
    console.log(
      `native shim: not built (it needs Linux, this is ${process.platform}); replicas will run under the Node shim`,
    );
    return;
  }
  const cc = process.env.CC || ['cc', 'gcc', 'clang'].find(onPath);
  if (!cc) {
    console.warn('native shim: no C compiler found (cc, gcc, clang; or set CC); replicas will run under the Node shim');
    return;
  }
  mkdirSync(outDir, { recursive: true });
  // Built beside the target and renamed over it: a running shim keeps its (old) file.
  const tmp = `${out}.${process.pid}.tmp`;
  const flags = ['-O2', '-Wall', '-Wextra', ...(process.env.CFLAGS ?? '').split(' ').filter(Boolean)];
  const r = spawnSync(cc, [...flags, '-o', tmp, ...sources], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    const why = r.error ? r.error.message : `exit code ${r.status}`;
    console.warn(`native shim: ${cc} failed (${why}); replicas will run under the Node shim`);
    return;
  }
  renameSync(tmp, out);
}

main();
