/**
 * Loads berth.yaml: YAML with positions, the schema, and the cross-field checks, all collected into
 * one ValidationError whose problems carry file, line, column and field path.
 */
import { contentHash } from '../canonical.js';
import { yamlLocator, type Locate } from '../yamlPositions.js';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, TooLargeError, ValidationError } from '../errors.js';
import type { Problem } from '../errors.js';
import { crossFindings } from './checks.js';
import { zodFindings } from './problems.js';
import type { DocPath, Finding } from './problems.js';
import { parsePlainYaml } from './plainYaml.js';
import { appSchema } from './schema.js';
import { parseYamlDocument } from './yamlDocument.js';
import { AliasCycleError, expandedShape, MAX_YAML_DEPTH, tooDeepMessage } from './yamlNesting.js';
import type { Shape } from './yamlNesting.js';
import type { AppSpec, ServiceSpec } from './schema.js';

/** A parsed, validated berth.yaml. */
export interface LoadedSpec {
  spec: AppSpec;
  /** Absolute path of the file. */
  file: string;
  /** Absolute path of the folder holding it: relative paths in the spec start here. */
  dir: string;
  text: string;
  /** sha256 (hex) of the canonical JSON of `spec`. */
  digest: string;
  /**
   * Line and column (1-based) of the value at a document path (of its key, for a map or list), or of
   * its nearest existing ancestor when the path goes further than the document.
   */
  positionOf(path: DocPath): { line: number; column: number } | undefined;
}

/** The file name looked for when a directory is given. */
export const SPEC_FILE_NAME = 'berth.yaml';

/**
 * The largest berth.yaml, in bytes (UTF-8): 1 MiB holds thousands of services. A larger text is
 * refused before it is parsed, which takes seconds of CPU at that size.
 */
export const MAX_SPEC_BYTES = 1024 * 1024;

/** Refuses a text above MAX_SPEC_BYTES, naming the limit (TooLargeError: HTTP 413). */
export function checkSpecSize(text: string, file: string): void {
  if (text.length <= MAX_SPEC_BYTES / 3) return; // at most 3 bytes per UTF-16 unit: surely small enough
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SPEC_BYTES)
    throw new TooLargeError(
      `${file} is ${bytes} bytes, more than a berth.yaml may have (1 MiB, ${MAX_SPEC_BYTES} bytes): split the app, or move large file contents into config files (fromConfig)`,
      { details: { file, bytes, limit: MAX_SPEC_BYTES } },
    );
}

/** The most nodes berth.yaml's aliases may expand to while measuring its depth (toJS limits aliases further). */
const MAX_EXPANDED_NODES = 1_000_000;

/** YAML syntax errors reported one by one; the rest are summed up. */
const MAX_SYNTAX_PROBLEMS = 10;

/** Dotted form of a document path: `services.orders.replicas`, `routes.0.service`. */
export function dottedPath(docPath: DocPath): string {
  return docPath.join('.');
}

/** The digest of a normalised spec: equal specs, equal digests. */
export function specDigest(spec: AppSpec): string {
  return contentHash(spec);
}

/**
 * Makes the `cwd` of every service with a command absolute (relative to `dir`, which is the default). `cwd` is a template like `env` values,
 * so `$` in the folder name is escaped as `$$`; a cwd that starts with a variable may expand to an
 * absolute path and is left for the renderer to resolve after interpolation.
 */
function resolveCwds(spec: AppSpec, dir: string): AppSpec {
  const base = dir.replaceAll('$', () => '$$');
  const services = Object.fromEntries(
    Object.entries(spec.services).map(([name, s]) => {
      if (s.command === undefined && s.cwd === undefined) return [name, s];
      if (s.cwd?.startsWith('$') && !s.cwd.startsWith('$$')) return [name, s];
      // The same service object (SpecParser gives one back for an unchanged block) resolves to the
      // same object, so per-service memos downstream recognise it.
      const known = resolved.get(s);
      if (known?.dir === dir) return [name, known.service];
      const service = {
        ...s,
        cwd: s.cwd === undefined ? base : path.isAbsolute(s.cwd) ? s.cwd : path.join(base, s.cwd),
      };
      resolved.set(s, { dir, service });
      return [name, service];
    }),
  );
  return { ...spec, services };
}

/** Services whose cwd was resolved, by the schema's output object. */
const resolved = new WeakMap<ServiceSpec, { dir: string; service: ServiceSpec }>();

function byPosition(a: Problem, b: Problem): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

/** The positions of a text's YAML nodes, parsed on first use (a valid spec rarely needs them). */
export function lazyLocator(text: string): Locate {
  let locate: Locate | undefined;
  return (p, at) => {
    if (!locate) {
      const { doc, lines } = parseYamlDocument(text);
      locate = yamlLocator(doc, lines);
    }
    return locate(p, at);
  };
}

/** A loaded spec from data that passed the schema and the cross checks. */
export function loaded(data: AppSpec, text: string, file: string, locate: Locate): LoadedSpec {
  const dir = path.dirname(path.resolve(file));
  const spec = resolveCwds(data, dir);
  let digest: string | undefined;
  return {
    spec,
    file: path.resolve(file),
    dir,
    text,
    // Hashing 200 services takes milliseconds that a render does not need.
    get digest() {
      return (digest ??= specDigest(spec));
    },
    positionOf: (p) => locate(p),
  };
}

/** Parses and validates berth.yaml text; `file` labels problems and anchors relative paths. */
export function parseSpec(text: string, file: string): LoadedSpec {
  checkSpecSize(text, file);
  // Most files are valid: parse them fast and without positions, which are looked up only if a later
  // step reports a problem. Anything else takes the full path below, so problems read the same.
  const plain = parsePlainYaml(text);
  if (plain && plain.data !== null) {
    const result = appSchema.safeParse(plain.data);
    if (result.success && crossFindings(plain.data).length === 0)
      return loaded(result.data, text, file, lazyLocator(text));
  }
  return parseSpecFully(text, file);
}

/** The full parse: YAML with positions, every problem with its line and column. */
export function parseSpecFully(text: string, file: string): LoadedSpec {
  const { doc, lines, problems: yamlProblems } = parseYamlDocument(text);
  const locate = yamlLocator(doc, lines);
  const label = file;
  function fail(problems: Problem[]): never {
    const n = problems.length;
    throw new ValidationError(`${label} has ${n} problem${n === 1 ? '' : 's'}`, problems);
  }

  if (yamlProblems.length > 0) {
    const problems: Problem[] = yamlProblems.slice(0, MAX_SYNTAX_PROBLEMS).map((e) => {
      const { line, col } = lines.linePos(e.pos);
      if (e.code === 'COLLECTION_KEY')
        return { file: label, line, column: col, path: dottedPath(e.path ?? []), message: e.message };
      const message =
        e.code === 'MULTIPLE_DOCS' ? 'a berth.yaml holds one document, this one has several (`---`)' : e.message;
      return { file: label, line, column: col, path: '', message: `YAML syntax: ${message}` };
    });
    // One broken line can make the parser report thousands of errors after it; the first ones
    // are the ones to fix.
    const rest = yamlProblems.length - problems.length;
    if (rest > 0) {
      const { line } = lines.linePos(yamlProblems[MAX_SYNTAX_PROBLEMS]!.pos);
      problems.push({
        file: label,
        line,
        path: '',
        message: `YAML syntax: ${rest} more error${rest === 1 ? '' : 's'} from line ${line} on, most likely caused by the ones above`,
      });
    }
    fail(problems);
  }

  // Aliases can nest the data deeper than the text: measured first, as toJS and every later walk recurse.
  let expanded: Shape | AliasCycleError;
  try {
    expanded = expandedShape(doc, MAX_EXPANDED_NODES);
  } catch (err) {
    if (!(err instanceof AliasCycleError)) throw err;
    expanded = err;
  }
  if (expanded instanceof AliasCycleError || expanded.depth > MAX_YAML_DEPTH) {
    const at =
      expanded instanceof AliasCycleError ? lines.linePos(expanded.alias.range?.[0] ?? 0) : { line: 1, col: 1 };
    const message =
      expanded instanceof AliasCycleError ? expanded.message : `${tooDeepMessage()} once its aliases are expanded`;
    fail([{ file: label, line: at.line, column: at.col, path: '', message: `YAML: ${message}` }]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    fail([
      {
        file: label,
        line: 1,
        column: 1,
        path: '',
        message: `YAML: ${err instanceof Error ? err.message : String(err)}`,
      },
    ]);
  }
  if (data === null || data === undefined) {
    fail([
      {
        file: label,
        line: 1,
        column: 1,
        path: '',
        message: 'the file is empty: expected a map with `name` and `services`',
      },
    ]);
  }

  const result = appSchema.safeParse(data);
  const findings: Finding[] = [
    ...(result.success ? [] : zodFindings(result.error.issues, data, appSchema)),
    ...crossFindings(data),
  ];
  if (findings.length > 0 || !result.success) {
    const problems = findings.map((f) => {
      const pos = locate(f.path, f.at) ?? { line: 1, column: 1 };
      return { file: label, line: pos.line, column: pos.column, path: dottedPath(f.path), message: f.message };
    });
    fail(problems.sort(byPosition));
  }
  return loaded(result.data!, text, file, locate);
}

/** Reads and validates a berth.yaml; a directory means `<dir>/berth.yaml`. */
export async function loadSpec(file: string): Promise<LoadedSpec> {
  let target = file;
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) target = path.join(file, SPEC_FILE_NAME);
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`${target} does not exist`, { details: { file: target } });
    throw err;
  }
  return parseSpec(text, target);
}
