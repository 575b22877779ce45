/**
 * berth.yaml's variable syntax (`${NAME:-default}` and friends) → Helm (Go template + sprig)
 * expressions over `.Values.config` (plain values) and `.Values.secrets` (required at install).
 */
import { parseTemplate, type TemplateSegment } from '../../spec/interpolate.js';

/** How names and literals become expressions. */
export interface ExpressionContext {
  /** Variables whose value is secret: read from `.Values.secrets`, required when used plainly. */
  secret: ReadonlySet<string>;
  /** Variables Berth provides (discovery): their literal value (may hold the namespace placeholder). */
  provided: Readonly<Record<string, string>>;
  /** A placeholder standing for the release namespace inside literals. */
  namespacePlaceholder: string;
}

/** A Go string literal (JSON's escapes are a subset of Go's). */
export function goString(s: string): string {
  return JSON.stringify(s);
}

/** A literal as an expression: the namespace placeholder becomes `$.Release.Namespace`. */
export function literalExpr(text: string, ctx: Pick<ExpressionContext, 'namespacePlaceholder'>): string {
  if (!text.includes(ctx.namespacePlaceholder)) return goString(text);
  const parts = text.split(ctx.namespacePlaceholder);
  const args: string[] = [];
  parts.forEach((p, i) => {
    if (i > 0) args.push('$.Release.Namespace');
    if (p) args.push(goString(p));
  });
  return args.length === 1 ? args[0]! : `(print ${args.join(' ')})`;
}

function mapOf(name: string, ctx: ExpressionContext): string {
  return ctx.secret.has(name) ? '$.Values.secrets' : '$.Values.config';
}

/** The value of a variable as a string ("" when the values do not have it). */
function valueExpr(name: string, ctx: ExpressionContext): string {
  return `(toString (default "" (index ${mapOf(name, ctx)} ${goString(name)})))`;
}

function required(name: string, ctx: ExpressionContext, message?: string): string {
  const why =
    message ??
    (ctx.secret.has(name)
      ? `secret ${name} is required: --set secrets.${name}=... (or name an existing Secret in existingSecrets)`
      : `${name} is required`);
  return `(required ${goString(why)} ${valueExpr(name, ctx)})`;
}

function segmentsExpr(segments: TemplateSegment[], ctx: ExpressionContext): string {
  const parts = segments.map((s) => segmentExpr(s, ctx));
  if (parts.length === 0) return '""';
  return parts.length === 1 ? parts[0]! : `(print ${parts.join(' ')})`;
}

function segmentExpr(s: TemplateSegment, ctx: ExpressionContext): string {
  if (s.kind === 'text') return literalExpr(s.text, ctx);
  const provided = Object.hasOwn(ctx.provided, s.name) ? ctx.provided[s.name] : undefined;
  const hasKey = `(hasKey ${mapOf(s.name, ctx)} ${goString(s.name)})`;
  if (provided !== undefined) {
    // Discovery variables always have a value: fallbacks never apply, alternatives always do.
    if (s.operator === ':+' || s.operator === '+') return segmentsExpr(s.argument, ctx);
    return literalExpr(provided, ctx);
  }
  const v = valueExpr(s.name, ctx);
  const arg = () => segmentsExpr(s.argument, ctx);
  switch (s.operator) {
    case undefined:
      return ctx.secret.has(s.name) ? required(s.name, ctx) : v;
    case ':-':
      return `(default ${arg()} ${v})`;
    case '-':
      return `(ternary ${v} ${arg()} ${hasKey})`;
    case ':?':
    case '?':
      return required(s.name, ctx, textOf(s.argument) || `${s.name} is required`);
    case ':+':
      return `(ternary ${arg()} "" (ne ${v} ""))`;
    case '+':
      return `(ternary ${arg()} "" ${hasKey})`;
  }
}

function textOf(segments: TemplateSegment[]): string {
  return segments.map((s) => (s.kind === 'text' ? s.text : `\${${s.name}}`)).join('');
}

/** The Helm expression (a string-valued pipeline operand) of a berth.yaml template string. */
export function templateExpr(template: string, ctx: ExpressionContext): string {
  return segmentsExpr(parseTemplate(template), ctx);
}
