// Bundles the CLI (dist/cli/**, as tsc compiled it, with commander) into one CommonJS file,
// dist/cli/berth.cjs, which bin/berth.js runs. Every `berth` invocation starts a Node process, and
// most of a short command's time is start-up: one CommonJS file, compiled from V8's code cache,
// starts ~20 ms sooner than a dozen ES modules and commander's files through the ES module loader
// (docs/benchmarks.md, render: "the CLI starts from one file").
//
// In it: the CLI and what it imports statically (errors.js, version.js, server/serverInfo.js).
// Outside: Node's built-ins, every other npm package, and the compiled modules the CLI imports on
// demand (spec loading, rendering, the server...), at the paths they have in dist/.
// Those import their own errors.js: errors.ts makes `instanceof` hold across the two copies.
//
// A second bundle, dist/cli/renderOffline.cjs, holds `berth render --offline` whole: its module
// (dist/cli/commands/renderOffline.js), every compiled module it loads (spec loading, the release
// render, the manifests and their schema verdicts) and the npm packages they use (zod,
// kubernetes-models, yaml, js-yaml): loaded through Node's ES module loader, those are ~100 files and
// most of a cold render's time. bin/codeCache.js runs it from its own V8 code cache.
// `import.meta.url` in a bundled file is its own file's URL, as before, so paths computed from it
// do not move.
//
// A fourth, dist/cli/renderFast.cjs (src/cli/renderFast.ts with renderSnapshotFile.ts and the
// client), is what bin/berth.js runs first for `berth render ...`: it starts the snapshot below, or
// streams the control plane's YAML, without loading the CLI, or declines and the CLI runs.
//
// Last, the offline render as a V8 startup snapshot for the Node running the build: a third bundle,
// dist/cli/renderSnapshot.cjs (commands/renderSnapshot.js and what it loads), run by
// `node --build-snapshot` after rendering the examples, writes dist/cli/renderOffline-<version>-<arch>.blob;
// `berth render --offline` starts a Node process from it (commands/render.ts). A build that cannot
// write it only warns: the CLI then renders from the code-cached bundle as before.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const cli = join(dist, 'cli');
const output = join(cli, 'berth.cjs');
const offlineEntry = join(cli, 'commands', 'renderOffline.js');
const offlineOutput = join(cli, 'renderOffline.cjs');
const snapshotEntry = join(cli, 'commands', 'renderSnapshot.js');
const snapshotOutput = join(cli, 'renderSnapshot.cjs');
const fastEntry = join(cli, 'renderFast.js');
const fastOutput = join(cli, 'renderFast.cjs');
const remoteEntry = join(cli, 'renderRemote.js');
const remoteOutput = join(cli, 'renderRemote.cjs');
/** npm packages inside the bundle: what every command needs at start. */
const BUNDLED_PACKAGES = new Set(['commander']);

/** `import.meta.url` of a bundled module made its own file's URL again (the bundles are in dist/cli). */
const ownMetaUrl = (code, id) => {
  if (!code.includes('import.meta.url')) return null;
  const own = `require('node:url').pathToFileURL(require('node:path').join(__dirname, ${JSON.stringify(relative(cli, id))})).href`;
  return code.replaceAll('import.meta.url', own);
};

/** A path relative to the bundle's folder, as an import specifier. */
const fromBundle = (file) => {
  const rel = relative(cli, file);
  return rel.startsWith('.') ? rel : `./${rel}`;
};

/** Bundles `input` into the CommonJS file `file` for Node (its built-ins left outside) with `plugin`. */
const bundle = (input, file, plugin) =>
  build({
    input,
    platform: 'node',
    logLevel: 'warn',
    external: (id) => id.startsWith('node:'),
    plugins: [plugin],
    // `import()` of what stays outside becomes `require()` (Node loads ES modules that have no
    // top-level await through require since 20.19): a script with no `import()` in it can be compiled
    // from V8's code cache (bin/berth.js), one that has one cannot (Node 20 loses its import callback).
    // Non-ASCII characters escaped (`\u2026`) and no doc comments (where the rest of them are): V8
    // keeps a source with any character past Latin-1 (a typographic quote, ajv-i18n's locales) as
    // two bytes per character, which doubled the 2 MB of the offline render's source in its startup
    // snapshot (docs/benchmarks.md, render). Licence comments stay.
    output: {
      file,
      format: 'cjs',
      codeSplitting: false,
      dynamicImportInCjs: false,
      charset: 'ascii',
      comments: { legal: true, annotation: true, jsdoc: false },
    },
  });

await bundle(join(cli, 'main.js'), output, {
  name: 'berth-cli-bundle',
  resolveId(source, importer, { kind }) {
    if (!importer || !importer.startsWith(`${dist}/`)) return null;
    if (source.startsWith('.')) {
      // What the CLI imports statically is in the bundle (errors.js, version.js...); what it
      // imports on demand from outside dist/cli stays where it is.
      const file = resolve(dirname(importer), source);
      // The offline render has its own bundle; when that is missing, it is loaded from dist/.
      if (file === offlineEntry) return { id: fromBundle(file), external: true };
      return kind !== 'dynamic-import' || file.startsWith(`${cli}/`) ? null : { id: fromBundle(file), external: true };
    }
    if (source.startsWith('node:')) return null;
    const name = source.startsWith('@') ? source.split('/').slice(0, 2).join('/') : source.split('/')[0];
    return BUNDLED_PACKAGES.has(name) ? null : { id: source, external: true };
  },
  transform: (code, id) => (id.startsWith(`${dist}/`) ? ownMetaUrl(code, id) : null),
});

// ajv-formats-draft2019 (the Gateway API validators' formats) requires 'punycode', which names Node's
// deprecated built-in (Node 21+ warns on stderr, breaking `-o json` errors); its own dependency, the
// userland punycode package, is what `punycode/` resolves to: bundled in its place.
const userlandPunycode = (code) => code.replaceAll("require('punycode')", "require('punycode/')");
await bundle(offlineEntry, offlineOutput, {
  name: 'berth-render-offline-bundle',
  transform: (code, id) => (id.includes('ajv-formats-draft2019') ? userlandPunycode(code) : ownMetaUrl(code, id)),
});

// bin/berth.js's way to `berth render` before the CLI bundle loads: the snapshot's start (~10 kB),
// and in a bundle of its own, required only for a render by the control plane, the client (no npm
// package): loading node:http and the rest is ~4 ms an offline render does not need (a bundle hoists
// every built-in it requires to its top, so the lazy import alone would not spare it).
await bundle(fastEntry, fastOutput, {
  name: 'berth-render-fast-bundle',
  resolveId: (source, importer) =>
    importer && resolve(dirname(importer), source) === remoteEntry
      ? { id: './renderRemote.cjs', external: true }
      : null,
});
await bundle(remoteEntry, remoteOutput, { name: 'berth-render-remote-bundle' });

// Code cached for an earlier bundle must not be used with this one (bin/codeCache.js also compares times).
for (const file of [output, offlineOutput]) rmSync(`${file}.cache`, { force: true });

// A snapshot may load no package at run time: the one module of the render path that requires one
// through createRequire (the Gateway API validators, for their draft-2019 formats) imports it instead.
const DRAFT2019 = 'var draft2019_node_esm_default = require2("ajv-formats-draft2019");';
await bundle(snapshotEntry, snapshotOutput, {
  name: 'berth-render-snapshot-bundle',
  transform: (code, id) =>
    id.includes('ajv-formats-draft2019')
      ? userlandPunycode(code)
      : code.includes(DRAFT2019)
        ? code
            .replace('var require2 = createRequire(import.meta.url);', '')
            .replace(DRAFT2019, 'import draft2019_node_esm_default from "ajv-formats-draft2019";')
        : ownMetaUrl(code, id),
});
const { SNAPSHOT_FLAGS, snapshotBlob, snapshotEnv } = await import(
  pathToFileURL(join(cli, 'renderSnapshotFile.js')).href
);
for (const old of readdirSync(cli).filter((f) => /^renderOffline-.*\.blob$/.test(f))) rmSync(join(cli, old));
// The sample app of src/spec/warmApp.ts (compiled by tsc before this script runs).
const { warmAppText } = await import(pathToFileURL(join(dist, 'spec', 'warmApp.js')).href);
const examples = join(root, 'examples');
const warmDir = mkdtempSync(join(tmpdir(), 'berth-snapshot-warm-'));
writeFileSync(join(warmDir, 'berth.yaml'), warmAppText());
const warm = [
  join(warmDir, 'berth.yaml'),
  ...readdirSync(examples)
    .map((app) => join(examples, app, 'berth.yaml'))
    .filter((f) => existsSync(f)),
];
const snapshot = spawnSync(
  process.execPath,
  [...SNAPSHOT_FLAGS, '--snapshot-blob', snapshotBlob(cli), '--build-snapshot', snapshotOutput],
  // (bounded: a build never waits on it for long; without it the CLI renders as before)
  { env: snapshotEnv({ BERTH_SNAPSHOT_WARM: warm.join('\n') }), encoding: 'utf8', timeout: 180_000 },
);
rmSync(warmDir, { recursive: true, force: true });
if (snapshot.status !== 0) {
  rmSync(snapshotBlob(cli), { force: true });
  console.warn(
    `bundleCli: no startup snapshot for the offline render on Node ${process.version} (berth render --offline runs without it):\n${snapshot.stderr}${snapshot.error?.message ?? ''}${snapshot.signal ? ` (${snapshot.signal})` : ''}`,
  );
}
