/**
 * Values known only per replica, written into `files:` content as `{{ replica.port }}`,
 * `{{ replica.port.<name> }}`, `{{ replica.index }}` and `{{ replica.configDir }}`. berth.yaml keeps
 * the template (`${VARIABLES}` are interpolated at render as everywhere); the runtime resolves it per
 * replica: the local runtime when it writes a replica's config directory, Kubernetes at render.
 *
 * Only `{{` followed by `replica` is read: other `{{ … }}` text (a Go or Jinja template shipped as a
 * file) stays as it is. `{{{{` is a literal `{{`, to write `{{ replica.port }}` itself.
 */
import { suggest } from './problems.js';

/** A per-replica value a template refers to. */
export type ReplicaRef = { kind: 'port'; name?: string } | { kind: 'index' } | { kind: 'configDir' };

/** A parsed template: literal text and references. */
export type ReplicaSegment =
  { kind: 'text'; text: string } | { kind: 'ref'; ref: ReplicaRef; source: string; offset: number };

/** A syntax problem at `offset` (0-based, in the content). */
export interface ReplicaTemplateProblem {
  offset: number;
  message: string;
}

/** The names a template may use, as they are written. */
export const REPLICA_VALUE_NAMES = ['replica.port', 'replica.port.<name>', 'replica.index', 'replica.configDir'];

const REF = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/y;
const OURS = /\{\{\s*replica\b/y;

function refOf(name: string): ReplicaRef | undefined {
  if (name === 'replica.port') return { kind: 'port' };
  if (name === 'replica.index') return { kind: 'index' };
  if (name === 'replica.configDir') return { kind: 'configDir' };
  const port = /^replica\.port\.([A-Za-z0-9][A-Za-z0-9_-]*)$/.exec(name);
  return port ? { kind: 'port', name: port[1]! } : undefined;
}

function unknownName(name: string): string {
  const near = suggest(name, ['replica.port', 'replica.index', 'replica.configDir']);
  const known = REPLICA_VALUE_NAMES.map((n) => `\`{{ ${n} }}\``).join(', ');
  return `unknown per-replica value \`{{ ${name} }}\`${near ? ` (did you mean \`{{ ${near} }}\`?)` : ''}; known: ${known}; write \`{{{{\` for a literal \`{{\``;
}

/** Parses `content`; every problem is returned (an empty list: the template is good). */
export function parseReplicaTemplate(content: string): {
  segments: ReplicaSegment[];
  problems: ReplicaTemplateProblem[];
} {
  const segments: ReplicaSegment[] = [];
  const problems: ReplicaTemplateProblem[] = [];
  const text = (s: string): void => {
    const last = segments[segments.length - 1];
    if (last?.kind === 'text') last.text += s;
    else segments.push({ kind: 'text', text: s });
  };
  let i = 0;
  while (i < content.length) {
    const at = content.indexOf('{{', i);
    if (at < 0) {
      text(content.slice(i));
      break;
    }
    text(content.slice(i, at));
    if (content.startsWith('{{{{', at)) {
      text('{{');
      i = at + 4;
      continue;
    }
    REF.lastIndex = at;
    const m = REF.exec(content);
    OURS.lastIndex = at;
    const ours = OURS.test(content);
    const head = m?.[1]!.split('.')[0];
    if (m && (head === 'replica' || (m[1]!.includes('.') && suggest(head!, ['replica']) !== undefined))) {
      const ref = refOf(m[1]!);
      if (ref) segments.push({ kind: 'ref', ref, source: m[0], offset: at });
      else problems.push({ offset: at, message: unknownName(m[1]!) });
      i = at + m[0].length;
    } else if (ours) {
      problems.push({
        offset: at,
        message: 'a per-replica value is written `{{ replica.NAME }}` (with the closing `}}`)',
      });
      i = at + 2;
    } else {
      text('{{');
      i = at + 2;
    }
  }
  return { segments, problems };
}

/** Whether `content` uses the per-replica syntax at all (a reference or the `{{{{` escape). */
export function usesReplicaValues(content: string): boolean {
  if (!content.includes('{{')) return false;
  const { segments, problems } = parseReplicaTemplate(content);
  return problems.length > 0 || segments.some((s) => s.kind === 'ref') || content.includes('{{{{');
}

/** `{ line, column }` (1-based) of `offset` in `content`. */
export function positionIn(content: string, offset: number): { line: number; column: number } {
  const before = content.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/**
 * The content with every reference replaced by `value(ref)`; a reference `value` cannot resolve
 * returns an error message instead (thrown as one Error listing them by position in the content).
 */
export function resolveReplicaTemplate(
  content: string,
  value: (ref: ReplicaRef) => string | { error: string },
): string {
  const { segments, problems } = parseReplicaTemplate(content);
  const errors = problems.map((p) => ({ ...p, source: '' }));
  let out = '';
  for (const s of segments) {
    if (s.kind === 'text') out += s.text;
    else {
      const v = value(s.ref);
      if (typeof v === 'string') out += v;
      else errors.push({ offset: s.offset, message: v.error, source: s.source });
    }
  }
  if (errors.length > 0) {
    const where = (o: number): string => {
      const p = positionIn(content, o);
      return `line ${p.line}, column ${p.column}`;
    };
    throw new Error(
      errors.map((e) => `${e.source ? `${e.source} ` : ''}(${where(e.offset)}): ${e.message}`).join('; '),
    );
  }
  return out;
}
