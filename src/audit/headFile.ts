/**
 * `<home>/audit.head`: the audit log's last seq and hash beside the database, written after every
 * append (to a temporary file, fsynced, renamed, the directory fsynced), so that removing entries at
 * the end of the table is detected too.
 */
import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Head } from './chain.js';

/** The head, or null when the file does not exist. A file that does not parse is a head of seq -1 (a mismatch). */
export async function readHead(file: string): Promise<Head | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<Head>;
    if (typeof v.seq === 'number' && typeof v.hash === 'string') return { seq: v.seq, hash: v.hash };
  } catch {
    // fall through
  }
  return { seq: -1, hash: '' };
}

/** Writes the head durably (temporary file fsynced, renamed over the old one, directory fsynced). */
export async function writeHead(file: string, head: Head): Promise<void> {
  const tmp = `${file}.tmp`;
  const f = await open(tmp, 'w', 0o600);
  try {
    await f.writeFile(`${JSON.stringify(head)}\n`);
    await f.sync();
  } finally {
    await f.close();
  }
  await rename(tmp, file);
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
