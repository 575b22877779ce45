/**
 * The rules for a config file's `path`: a file inside the service's config directory, written the
 * one way it is written on disk (`$BERTH_CONFIG_DIR/<path>`) and in a Kubernetes volume (an item's
 * `path`). A path that names the directory itself, a folder, or a file outside it would pass the
 * schema and fail only when a replica starts, so `validate` refuses it with the reason.
 */

/** Longest file or folder name Linux file systems take (bytes). */
const MAX_NAME_BYTES = 255;

/** Why `path` cannot be a config file's path, or undefined when it can. */
export function filePathProblem(path: string): string | undefined {
  if (path === '') return 'must not be empty';
  if (path.includes('\0')) return 'must not contain a NUL character';
  if (path.startsWith('/') || path.split('/').includes('..'))
    return 'must be a relative path that stays inside the config directory';
  if (path === '.' || path === './') return 'must name a file: `.` is the config directory itself';
  if (path.endsWith('/'))
    return `must name a file, not a folder (it ends with \`/\`): write \`${path.replace(/\/+$/, '')}\``;
  const names = path.split('/');
  if (names.includes(''))
    return `has an empty name between two \`/\`: write \`${names.filter((n) => n !== '').join('/')}\``;
  if (names.includes('.')) return `has a \`.\` folder: write \`${names.filter((n) => n !== '.').join('/')}\``;
  const long = names.find((n) => new TextEncoder().encode(n).length > MAX_NAME_BYTES);
  if (long !== undefined) return `has a name longer than ${MAX_NAME_BYTES} bytes (\`${long.slice(0, 20)}…\`)`;
  return undefined;
}

/**
 * For each path of a list (in order), why it conflicts with an earlier one, or undefined: the same
 * file twice, or a file that another path needs as a folder (`a` and `a/b`).
 */
export function filePathConflicts(paths: readonly (string | undefined)[]): (string | undefined)[] {
  const files = new Map<string, number>();
  const folders = new Map<string, number>();
  return paths.map((p, i) => {
    if (p === undefined || filePathProblem(p) !== undefined) return undefined;
    const first = files.get(p);
    if (first !== undefined) return `file \`${p}\` is already defined by files.${first}`;
    const folderOf = folders.get(p);
    if (folderOf !== undefined)
      return `\`${p}\` is a folder of files.${folderOf} (\`${paths[folderOf]}\`), it cannot also be a file`;
    const names = p.split('/');
    for (let n = 1; n < names.length; n++) {
      const parent = names.slice(0, n).join('/');
      const file = files.get(parent);
      if (file !== undefined) return `\`${parent}\` is a file (files.${file}), it cannot also be a folder`;
    }
    files.set(p, i);
    for (let n = 1; n < names.length; n++) {
      const parent = names.slice(0, n).join('/');
      if (!folders.has(parent)) folders.set(parent, i);
    }
    return undefined;
  });
}

/** Where a service's config directory is inside a container (and on clusters): `$BERTH_CONFIG_DIR`. */
export const CONTAINER_CONFIG_DIR = '/etc/berth/config';

/**
 * Why `mountPath` cannot be where a container also sees a config file, or undefined when it can:
 * an absolute path naming a file, written the one way the engine and Kubernetes take it, outside the
 * config directory (which is mounted read-only: nothing can be mounted inside it).
 */
export function mountPathProblem(mountPath: string): string | undefined {
  if (mountPath.includes('\0')) return 'must not contain a NUL character';
  if (!mountPath.startsWith('/')) return 'must be an absolute path inside the container, such as `/etc/app/app.conf`';
  if (mountPath === '/' || mountPath.endsWith('/')) return 'must name a file, not a folder (it ends with `/`)';
  const names = mountPath.slice(1).split('/');
  if (names.includes('')) return 'has an empty name between two `/`';
  if (names.includes('.') || names.includes('..')) return 'must not have `.` or `..` folders: write the path it means';
  const long = names.find((n) => new TextEncoder().encode(n).length > MAX_NAME_BYTES);
  if (long !== undefined) return `has a name longer than ${MAX_NAME_BYTES} bytes (\`${long.slice(0, 20)}…\`)`;
  if (mountPath === CONTAINER_CONFIG_DIR || mountPath.startsWith(`${CONTAINER_CONFIG_DIR}/`))
    return `is inside the config directory ${CONTAINER_CONFIG_DIR}, where the file is already (\`path\`): leave \`mountPath\` out`;
  return undefined;
}

/**
 * For each mount path of a service's files (in order), why it conflicts with an earlier one: the
 * same path twice, or a path that another one needs as a folder (`/etc/app` and `/etc/app/x.conf`).
 */
export function mountPathConflicts(paths: readonly (string | undefined)[]): (string | undefined)[] {
  const seen: { path: string; i: number }[] = [];
  return paths.map((p, i) => {
    if (p === undefined || mountPathProblem(p) !== undefined) return undefined;
    for (const o of seen) {
      if (o.path === p) return `\`${p}\` is already the mountPath of files.${o.i}`;
      if (o.path.startsWith(`${p}/`))
        return `\`${p}\` is a folder of files.${o.i}'s mountPath \`${o.path}\`, it cannot also be a file`;
      if (p.startsWith(`${o.path}/`))
        return `\`${o.path}\` is files.${o.i}'s mountPath (a file), it cannot also be a folder`;
    }
    seen.push({ path: p, i });
    return undefined;
  });
}
