/** Reads a berth.yaml for sending to the control plane: a directory means `<dir>/berth.yaml`. */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ValidationError } from '../errors.js';

export interface SpecInput {
  file: string;
  text: string;
}

export async function resolveSpecFile(pathOrDir = '.'): Promise<string> {
  const p = resolve(pathOrDir);
  try {
    return (await stat(p)).isDirectory() ? join(p, 'berth.yaml') : p;
  } catch {
    throw new ValidationError(`${p} does not exist`, [{ file: p, path: '', message: 'no such file or directory' }]);
  }
}

export async function readSpecInput(pathOrDir?: string): Promise<SpecInput> {
  const file = await resolveSpecFile(pathOrDir);
  try {
    return { file, text: await readFile(file, 'utf8') };
  } catch {
    throw new ValidationError(`cannot read ${file}`, [
      { file, path: '', message: 'no berth.yaml here (pass the app folder or file)' },
    ]);
  }
}

/** The app name of the berth.yaml in the current folder, for commands whose --app is omitted. */
export async function appFromCwd(): Promise<string | undefined> {
  try {
    const text = await readFile(resolve('berth.yaml'), 'utf8');
    return /^name:\s*["']?([a-z0-9-]+)/m.exec(text)?.[1];
  } catch {
    return undefined;
  }
}
