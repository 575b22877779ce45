/**
 * A pipeline file, as `berth pipeline set APP -f pipeline.yaml` sends it (docs/pipelines.md):
 *
 *   source: { url: https://git.example.com/shop.git, branch: main, path: . }
 *   webhook: { secret: ${PIPELINE_SECRET} }
 *   previews: { template: test, ttl: 72h }
 *   steps:
 *     - build: { env: test }
 *     - test: { command: "npm test", timeout: 10m }
 *     - deploy: { env: test }
 *
 * Parsed with every problem named by file, line and field (`steps.2.deploy.env`). The webhook's
 * secret is returned apart from the definition: it is stored encrypted and never shown.
 */
import { LineCounter, parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { ValidationError, type Problem } from '../errors.js';
import { DNS_LABEL } from '../model/names.js';
import type { PipelineDefinition, PipelineStepSpec } from '../model/pipeline.js';
import { yamlLocator } from '../yamlPositions.js';
import { durationMs } from '../spec/units.js';
import { checkGitRef, checkGitUrl } from './gitNames.js';

/** The longest pipeline file accepted. */
export const MAX_PIPELINE_BYTES = 256 * 1024;
/** A test command's time limit when its step gives none. */
export const DEFAULT_TEST_TIMEOUT_MS = 10 * 60_000;
/** A preview environment's time to live when `previews` gives none. */
export const DEFAULT_PREVIEW_TTL_MS = 72 * 3_600_000;
const MAX_STEPS = 50;

const envName = z.string().regex(DNS_LABEL, 'an environment name is lowercase letters, digits and -');
const text = (what: string) => z.string().min(1, `${what} is empty`).max(10_000);
const gitUrl = z.string().superRefine((v, ctx) => {
  const problem = checkGitUrl(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const gitRef = z.string().superRefine((v, ctx) => {
  const problem = checkGitRef(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const repoPath = z
  .string()
  .default('.')
  .refine(
    (p) => !p.startsWith('/') && !p.startsWith('-') && !p.split('/').includes('..'),
    'a folder inside the repository: relative, without `..`',
  );

const Source = z.strictObject({ url: gitUrl, branch: gitRef.default('main'), path: repoPath });
const Webhook = z.strictObject({ secret: z.string().min(1).max(4096).optional() });
const Previews = z.strictObject({ template: envName, ttl: durationMs({ positive: true }).optional() });

/** Each step kind's fields (the step is a map of one kind to them). */
const STEP_KINDS = new Map<string, z.ZodType<unknown>>([
  ['build', z.strictObject({ env: envName })],
  [
    'test',
    z
      .strictObject({
        command: text('command').optional(),
        job: z.string().regex(DNS_LABEL, 'a job is a service name of berth.yaml').optional(),
        env: envName.optional(),
        timeout: durationMs({ positive: true }).optional(),
      })
      .superRefine((t, ctx) => {
        if ((t.command === undefined) === (t.job === undefined))
          ctx.addIssue({ code: 'custom', message: 'a test step has either `command` or `job`' });
        if (t.job !== undefined && t.env === undefined)
          ctx.addIssue({ code: 'custom', path: ['env'], message: 'a job test step names the environment (`env`)' });
        if (t.command !== undefined && t.env !== undefined)
          ctx.addIssue({ code: 'custom', path: ['env'], message: '`env` is for a `job` test step' });
      }),
  ],
  ['deploy', z.strictObject({ env: envName })],
  ['approval', z.strictObject({ env: envName.optional() })],
  [
    'promote',
    z
      .strictObject({ from: envName, to: envName })
      .refine((p) => p.from !== p.to, { message: 'a promotion goes to another environment', path: ['to'] }),
  ],
]);

/** A parsed pipeline file: the definition, and the webhook secret it gave (if any). */
export interface ParsedPipeline {
  definition: PipelineDefinition;
  /** The secret as written (`${NAME}` already replaced from `variables`). */
  webhookSecret?: string;
}

/**
 * Parses a pipeline file. `${NAME}` in the webhook's secret is replaced from `variables` (the CLI
 * sends the ones its environment has). A ValidationError lists every problem with its line.
 */
export function parsePipeline(text: string, file: string, variables: ReadonlyMap<string, string>): ParsedPipeline {
  if (Buffer.byteLength(text) > MAX_PIPELINE_BYTES)
    throw new ValidationError(`${file} is larger than ${MAX_PIPELINE_BYTES} bytes`, [
      { file, path: '', message: `a pipeline file is at most ${MAX_PIPELINE_BYTES} bytes` },
    ]);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const at = lines.linePos(e.pos[0]);
      return { file, line: at.line, column: at.col, path: '', message: e.message.split('\n')[0] ?? e.code };
    });
    throw new ValidationError(`${file} is not valid YAML`, problems);
  }
  const locate = yamlLocator(doc, lines);
  const problems: Problem[] = [];
  const problem = (path: (string | number)[], message: string): void => {
    problems.push({ file, ...locate(path), path: path.join('.'), message });
  };
  const data: unknown = doc.toJS();
  if (!isObject(data)) {
    problem([], 'expected a map with source and steps');
    throw new ValidationError(`${file} is not a pipeline`, problems);
  }
  for (const key of Object.keys(data))
    if (!['source', 'webhook', 'previews', 'steps'].includes(key))
      problem([key], `unknown field ${key} (a pipeline has source, webhook, previews and steps)`);
  const parse = <T>(schema: z.ZodType<T>, value: unknown, base: (string | number)[]): T | undefined => {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    for (const issue of r.error.issues)
      problem([...base, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))], issue.message);
    return undefined;
  };
  if (data.source === undefined) problem(['source'], 'a pipeline needs its git source: { url, branch, path }');
  const source = data.source === undefined ? undefined : parse(Source, data.source, ['source']);
  const webhook =
    data.webhook === undefined || data.webhook === null ? undefined : parse(Webhook, data.webhook, ['webhook']);
  const previews = data.previews === undefined ? undefined : parse(Previews, data.previews, ['previews']);
  let secret: string | undefined;
  if (webhook?.secret !== undefined) {
    secret = interpolate(webhook.secret, variables, (m) => problem(['webhook', 'secret'], m));
  }
  const steps: PipelineStepSpec[] = [];
  if (!Array.isArray(data.steps) || data.steps.length === 0) problem(['steps'], 'a pipeline needs a list of steps');
  else if (data.steps.length > MAX_STEPS) problem(['steps'], `at most ${MAX_STEPS} steps`);
  else
    data.steps.forEach((raw: unknown, i) => {
      const step = stepOf(raw, i, parse, problem);
      if (step) steps.push(step);
    });
  if (previews && !steps.some((s) => s.kind === 'deploy'))
    problem(['previews'], 'previews are deployed by the pipeline: it needs a deploy step');
  if (problems.length > 0 || !source) {
    const n = problems.length;
    throw new ValidationError(`${file} has ${n} problem${n === 1 ? '' : 's'}`, problems);
  }
  const definition: PipelineDefinition = {
    source,
    ...(webhook ? { webhook: {} } : {}),
    ...(previews ? { previews: { template: previews.template, ttlMs: previews.ttl ?? DEFAULT_PREVIEW_TTL_MS } } : {}),
    steps,
  };
  return { definition, ...(secret === undefined ? {} : { webhookSecret: secret }) };
}

function stepOf(
  raw: unknown,
  i: number,
  parse: <T>(schema: z.ZodType<T>, value: unknown, base: (string | number)[]) => T | undefined,
  problem: (path: (string | number)[], message: string) => void,
): PipelineStepSpec | undefined {
  const kinds = [...STEP_KINDS.keys()].join(', ');
  if (!isObject(raw) || Object.keys(raw).length !== 1) {
    problem(['steps', i], `a step is a map of one kind (${kinds}) to its fields`);
    return undefined;
  }
  const [kind, body] = Object.entries(raw)[0]!;
  const schema = STEP_KINDS.get(kind);
  if (!schema) {
    problem(['steps', i, kind], `unknown step ${kind} (one of ${kinds})`);
    return undefined;
  }
  const v = parse(schema, body ?? {}, ['steps', i, kind]) as Record<string, unknown> | undefined;
  if (!v) return undefined;
  const str = (k: string): string => v[k] as string;
  switch (kind) {
    case 'build':
      return { kind, env: str('env') };
    case 'deploy':
      return { kind, env: str('env') };
    case 'approval':
      return v.env === undefined ? { kind } : { kind, env: str('env') };
    case 'promote':
      return { kind, from: str('from'), to: str('to') };
    default: {
      const timeoutMs = (v.timeout as number | undefined) ?? DEFAULT_TEST_TIMEOUT_MS;
      return v.command !== undefined
        ? { kind: 'test', command: str('command'), timeoutMs }
        : { kind: 'test', job: str('job'), env: str('env'), timeoutMs };
    }
  }
}

/** `${NAME}` replaced by its variable; a missing one is a problem naming it. */
function interpolate(value: string, variables: ReadonlyMap<string, string>, fail: (m: string) => void): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = variables.get(name);
    if (v === undefined) {
      fail(`\${${name}} is not set (set it in the environment of berth, or use --webhook-secret-file)`);
      return '';
    }
    return v;
  });
}

/** The definition as a pipeline file (`berth pipeline show -o yaml`): setting it again keeps the stored secret. */
export function definitionYaml(d: PipelineDefinition): string {
  const ms = (n: number): string =>
    n % 3_600_000 === 0 ? `${n / 3_600_000}h` : n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`;
  const steps = d.steps.map((s) => {
    switch (s.kind) {
      case 'test':
        return 'command' in s
          ? { test: { command: s.command, timeout: ms(s.timeoutMs) } }
          : { test: { job: s.job, env: s.env, timeout: ms(s.timeoutMs) } };
      case 'approval':
        return { approval: s.env === undefined ? {} : { env: s.env } };
      case 'promote':
        return { promote: { from: s.from, to: s.to } };
      default:
        return { [s.kind]: { env: s.env } };
    }
  });
  return stringify({
    source: d.source,
    ...(d.webhook ? { webhook: {} } : {}),
    ...(d.previews ? { previews: { template: d.previews.template, ttl: ms(d.previews.ttlMs) } } : {}),
    steps,
  });
}

/** A step's short title: `build test`, `test: npm test`, `promote test → staging`. */
export function stepTitle(s: PipelineStepSpec): string {
  switch (s.kind) {
    case 'test':
      return 'command' in s ? `test: ${s.command}` : `test: job ${s.job} in ${s.env}`;
    case 'approval':
      return s.env === undefined ? 'approval' : `approval for ${s.env}`;
    case 'promote':
      return `promote ${s.from} → ${s.to}`;
    default:
      return `${s.kind} ${s.env}`;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
