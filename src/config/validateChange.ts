/**
 * Checks the shape of a config change before it touches the store, reporting every bad key,
 * file path and value at once.
 */
import type { Problem } from '../errors.js';

/** What a config key must look like (an environment variable name). */
export const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The fields of a change that `validateChange` checks; see ConfigChange in configSets.ts. */
export interface ChangeShape {
  baseVersion: unknown;
  set?: unknown;
  unset?: unknown;
  files?: unknown;
  secretFiles?: unknown;
  plainFiles?: unknown;
  author: unknown;
  message?: unknown;
}

/** Why a file path is not acceptable, or undefined when it is a clean relative path. */
export function filePathProblem(file: string): string | undefined {
  if (file === '') return 'must not be empty';
  if (file.includes('\0')) return 'must not contain NUL';
  if (file.includes('\\')) return 'must use / as separator';
  if (file.startsWith('/') || /^[A-Za-z]:/.test(file)) return 'must be relative';
  const segments = file.split('/');
  if (segments.includes('..')) return 'must not contain ..';
  if (segments.some((s) => s === '' || s === '.')) return 'must not contain empty or . segments';
  return undefined;
}

/** Every problem with the shape of a change (not with how it applies to the current version). */
export function validateChange(change: ChangeShape): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string): void => {
    problems.push({ path, message });
  };

  if (typeof change.baseVersion !== 'number' || !Number.isSafeInteger(change.baseVersion) || change.baseVersion < 0) {
    add('baseVersion', 'must be a non-negative integer (0 when there is no config yet)');
  }
  if (typeof change.author !== 'string' || change.author.trim() === '') add('author', 'must be a non-empty string');
  if (change.message !== undefined && change.message !== null && typeof change.message !== 'string')
    add('message', 'must be a string');

  const setKeys = new Set<string>();
  if (change.set !== undefined) {
    if (!isRecord(change.set)) add('set', 'must be an object of KEY: {value, secret?}');
    else {
      for (const [key, entry] of Object.entries(change.set)) {
        setKeys.add(key);
        const keyProblem = KEY_PATTERN.test(key)
          ? undefined
          : `invalid key ${JSON.stringify(key)}: must match ${KEY_PATTERN.source}`;
        if (keyProblem) add(`set.${key}`, keyProblem);
        else if (!isRecord(entry) || typeof entry.value !== 'string') add(`set.${key}`, 'value must be a string');
        else if (entry.secret !== undefined && typeof entry.secret !== 'boolean')
          add(`set.${key}`, 'secret must be true or false');
      }
    }
  }

  if (change.unset !== undefined) {
    if (!Array.isArray(change.unset)) add('unset', 'must be a list of keys');
    else {
      for (const key of change.unset as unknown[]) {
        if (typeof key !== 'string' || !KEY_PATTERN.test(key))
          add(`unset.${String(key)}`, `invalid key ${JSON.stringify(key)}: must match ${KEY_PATTERN.source}`);
        else if (setKeys.has(key)) add(`unset.${key}`, `${key} is both set and unset`);
      }
    }
  }

  const plainFiles = new Set<string>();
  checkFiles(change.files, 'files', true, add, plainFiles);
  const secretFiles = new Set<string>();
  checkFiles(change.secretFiles, 'secretFiles', false, add, secretFiles);
  for (const file of secretFiles) {
    if (plainFiles.has(file)) add(`secretFiles.${file}`, `${file} is also in files`);
  }
  const madePlain = new Set<string>();
  checkFiles(change.plainFiles, 'plainFiles', false, add, madePlain);
  for (const file of madePlain) {
    if (plainFiles.has(file)) add(`plainFiles.${file}`, `${file} is also in files`);
    if (secretFiles.has(file)) add(`plainFiles.${file}`, `${file} is also in secretFiles`);
  }
  return problems;
}

function checkFiles(
  files: unknown,
  field: string,
  allowNull: boolean,
  add: (path: string, message: string) => void,
  seen: Set<string>,
): void {
  if (files === undefined) return;
  if (!isRecord(files)) {
    add(field, allowNull ? 'must be an object of path: content (null removes)' : 'must be an object of path: content');
    return;
  }
  for (const [file, content] of Object.entries(files)) {
    seen.add(file);
    const pathProblem = filePathProblem(file);
    if (pathProblem) add(`${field}.${file}`, `invalid file path ${JSON.stringify(file)}: ${pathProblem}`);
    else if (!(typeof content === 'string' || (allowNull && content === null))) {
      add(
        `${field}.${file}`,
        allowNull ? 'content must be a string, or null to remove the file' : 'content must be a string',
      );
    }
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
