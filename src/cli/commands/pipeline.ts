/**
 * `berth pipeline set|show|run|runs|status|logs|approve|cancel` (docs/pipelines.md): an app's pipeline
 * from a file, its runs with each commit's status, a run followed step by step with its logs.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { contextOf, type CliContext } from '../context.js';
import { age, bold, dim, green, printData, printTable, red, yellow } from '../output.js';
import { RuntimeError, ValidationError } from '../../errors.js';
import type { PipelineInfo, PipelineRun, PipelineRunStep } from '../../model/pipeline.js';

type Shown = PipelineInfo & { yaml: string };

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'skipped']);
const enc = encodeURIComponent;

function runId(text: string): number {
  const id = Number(text.replace(/^#/, ''));
  if (!Number.isInteger(id) || id <= 0)
    throw new ValidationError('invalid run', [
      { file: 'command line', path: 'run', message: `"${text}" is not a run number` },
    ]);
  return id;
}

function paintStatus(s: string): string {
  if (s === 'succeeded') return green(s);
  if (s === 'failed' || s === 'cancelled') return red(s);
  if (s === 'waiting' || s === 'running') return yellow(s);
  return dim(s);
}

const MARK: Record<string, string> = {
  succeeded: '✓',
  failed: '✗',
  cancelled: '✗',
  running: '…',
  waiting: '?',
  queued: '·',
  skipped: '-',
};

/** `✓test ✓deploy:test ?approval`: a run's steps in one cell. */
export function stepsCell(steps: PipelineRunStep[]): string {
  return steps
    .map((s) => {
      const mark = Object.hasOwn(MARK, s.status) ? MARK[s.status] : '';
      const env = 'env' in s.spec && s.spec.env ? `:${s.spec.env}` : '';
      return `${mark}${s.spec.kind}${env}`;
    })
    .join(' ');
}

/** `${NAME}`s of a text and the values this environment has for them (sent for the webhook secret). */
function variablesOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    const name = m[1]!;
    const v = process.env[name];
    if (v !== undefined) Object.defineProperty(out, name, { value: v, enumerable: true });
  }
  return out;
}

async function printLog(ctx: CliContext, id: number, n: number, follow: boolean, signal?: AbortSignal): Promise<void> {
  const res = await (
    await ctx.client()
  ).getFor(`/api/v1/pipeline-runs/${id}/steps/${n}/log`, { follow: follow ? 1 : 0 }, signal);
  for await (const chunk of res) process.stdout.write(chunk as Buffer);
}

function printRun(run: PipelineRun): void {
  process.stdout.write(
    `${bold(`run #${run.id}`)} of ${run.app}  ${paintStatus(run.status)}  commit ${run.commit?.slice(0, 12) ?? '(branch head)'} on ${run.branch}  ${run.trigger} by ${run.author}\n`,
  );
  if (run.preview) process.stdout.write(`preview ${run.preview.key} in ${run.preview.env}\n`);
  if (run.error) process.stdout.write(`${red(run.error)}\n`);
  printTable(
    run.steps.map((s) => ({
      step: s.index + 1,
      title: s.title,
      status: s.status,
      result:
        s.result?.revision !== undefined
          ? `revision ${s.result.revision} of ${s.result.env}`
          : s.result?.approvedBy
            ? `approved by ${s.result.approvedBy}`
            : (s.result?.buildId ?? s.error ?? ''),
    })),
    ['step', 'title', 'status', 'result'],
  );
  for (const s of run.steps)
    if (s.status === 'failed' && s.logTail?.length)
      process.stdout.write(
        `\n${bold(`step ${s.index + 1} (${s.title}), last lines:`)}\n${s.logTail.map((l) => `  ${l}`).join('\n')}\n`,
      );
}

/** Prints each step's log as it runs, until the run ends; fails (exit 1) unless it succeeded. */
async function followRun(ctx: CliContext, id: number): Promise<void> {
  const client = await ctx.client();
  const get = () => client.get<PipelineRun>(`/api/v1/pipeline-runs/${id}`);
  let run = await get();
  /** The run once `done` says so: a step's log ends with the step, a moment before the run records what follows. */
  const until = async (done: (r: PipelineRun) => boolean): Promise<PipelineRun> => {
    for (let r = await get(); ; r = await get()) {
      if (done(r)) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  let told = false;
  for (const step of run.steps) {
    // A step not started yet: wait for it (or for the run to end without it).
    for (;;) {
      run = await get();
      const s = run.steps[step.index]!;
      if (s.status !== 'queued' || FINISHED.has(run.status)) break;
      if (run.status === 'queued' && !told) {
        told = true;
        process.stdout.write(dim(`run #${id} waits for ${run.app}'s run under way (one run per app at a time)\n`));
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    const s = run.steps[step.index]!;
    if (s.status === 'skipped' || (s.status === 'queued' && FINISHED.has(run.status))) continue;
    process.stdout.write(`${bold(`--- step ${s.index + 1}: ${s.title}`)}\n`);
    await printLog(ctx, id, s.index + 1, true, stop.signal);
    const after = (await until((r) => r.steps[step.index]!.status !== 'running' || FINISHED.has(r.status))).steps[
      step.index
    ]!;
    process.stdout.write(`${bold(`--- step ${s.index + 1}: ${after.title}`)} ${paintStatus(after.status)}\n`);
  }
  run = await until((r) => FINISHED.has(r.status));
  process.stdout.write(
    `run #${id} ${paintStatus(run.status)}${run.commit ? ` (commit ${run.commit.slice(0, 12)})` : ''}\n`,
  );
  if (run.status !== 'succeeded') throw new RuntimeError(run.error ?? `pipeline run ${id} ${run.status}`);
}

export function registerPipeline(program: Command): void {
  const pipeline = program
    .command('pipeline')
    .description("an app's pipeline: git source, steps, runs (docs/pipelines.md)");

  pipeline
    .command('set <app>')
    .description('set the pipeline of APP from a file (a new version)')
    .requiredOption('-f, --file <file>', 'the pipeline file (YAML)')
    .option('--webhook-secret-file <file>', 'the webhook secret, read from a file (instead of webhook.secret)')
    .action(async (app: string, o: { file: string; webhookSecretFile?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const file = resolve(o.file);
      const text = await readFile(file, 'utf8');
      const secret = o.webhookSecretFile ? (await readFile(resolve(o.webhookSecretFile), 'utf8')).trim() : undefined;
      const r = await (
        await ctx.client()
      ).put<Shown>(`/api/v1/pipelines/${enc(app)}`, {
        file,
        text,
        variables: variablesOf(text),
        ...(secret ? { webhookSecret: secret } : {}),
      });
      if (ctx.output !== 'table') return printData(ctx.output, r);
      process.stdout.write(
        `pipeline of ${app} set: version ${r.version}, ${r.definition.steps.length} steps from ${r.definition.source.url} (${r.definition.source.branch})${r.webhookSecret ? ', webhook secret stored' : ''}\n`,
      );
    });

  pipeline
    .command('show <app>')
    .description(
      'the pipeline of APP; -o yaml prints it as a pipeline file (setting it again keeps the webhook secret)',
    )
    .action(async (app: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const r = await (await ctx.client()).get<Shown>(`/api/v1/pipelines/${enc(app)}`);
      if (ctx.output === 'yaml') return void process.stdout.write(r.yaml);
      if (ctx.output === 'json') return printData('json', r);
      const d = r.definition;
      process.stdout.write(`pipeline of ${app}, version ${r.version} (${r.author}, ${age(r.createdAt)} ago)\n`);
      process.stdout.write(`source   ${d.source.url}  branch ${d.source.branch}  path ${d.source.path}\n`);
      process.stdout.write(`webhook  ${d.webhook ? (r.webhookSecret ? 'on (secret stored)' : 'on') : 'off'}\n`);
      if (d.previews) process.stdout.write(`previews from ${d.previews.template}\n`);
      printTable(
        d.steps.map((s, i) => ({ step: i + 1, kind: s.kind, what: JSON.stringify({ ...s, kind: undefined }) })),
        ['step', 'kind', 'what'],
      );
    });

  pipeline
    .command('run <app>')
    .description("run APP's pipeline (the source branch's head by default) and follow its steps and logs")
    .option('--commit <commit>', 'the commit to run')
    .option('--branch <branch>', 'the branch whose head to run')
    .option('-d, --detach', 'start the run and return')
    .action(async (app: string, o: { commit?: string; branch?: string; detach?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const run = await (
        await ctx.client()
      ).post<PipelineRun>(`/api/v1/pipelines/${enc(app)}/runs`, {
        ...(o.commit ? { commit: o.commit } : {}),
        ...(o.branch ? { branch: o.branch } : {}),
      });
      if (o.detach || ctx.output !== 'table') {
        if (ctx.output !== 'table') return printData(ctx.output, run);
        return void process.stdout.write(`run #${run.id} of ${app} queued: berth pipeline status ${run.id}\n`);
      }
      process.stdout.write(`run #${run.id} of ${app} queued\n`);
      await followRun(ctx, run.id);
    });

  pipeline
    .command('runs <app>')
    .description("APP's runs, newest first: each commit's status and its steps'")
    .option('--limit <n>', 'at most this many', '20')
    .action(async (app: string, o: { limit: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const runs = await (
        await ctx.client()
      ).get<PipelineRun[]>(`/api/v1/pipelines/${enc(app)}/runs`, { limit: o.limit });
      if (ctx.output !== 'table') return printData(ctx.output, runs);
      if (runs.length === 0)
        return void process.stdout.write(`${app}'s pipeline has not run yet: berth pipeline run ${app}\n`);
      printTable(
        runs.map((r) => ({
          run: r.id,
          commit: r.commit?.slice(0, 12) ?? '',
          branch: r.branch,
          trigger: r.trigger,
          status: r.status,
          age: age(r.createdAt),
          steps: stepsCell(r.steps),
        })),
        ['run', 'commit', 'branch', 'trigger', 'status', 'age', 'steps'],
      );
    });

  pipeline
    .command('status <run>')
    .description('one run: its commit and each step with its result (a failed one with its last log lines)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const run = await (await ctx.client()).get<PipelineRun>(`/api/v1/pipeline-runs/${runId(id)}`);
      if (ctx.output !== 'table') return printData(ctx.output, run);
      printRun(run);
    });

  pipeline
    .command('logs <run> [step]')
    .description("a run's step logs (every step, or STEP: its number); -f follows them while the run goes on")
    .option('-f, --follow', 'keep printing until the run ends')
    .action(async (id: string, step: string | undefined, o: { follow?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const n = runId(id);
      if (o.follow && step === undefined) return followRun(ctx, n);
      const run = await (await ctx.client()).get<PipelineRun>(`/api/v1/pipeline-runs/${n}`);
      const steps = step === undefined ? run.steps.map((s) => s.index + 1) : [Number(step)];
      for (const s of steps) {
        if (!run.steps[s - 1])
          throw new ValidationError('invalid step', [
            { file: 'command line', path: 'step', message: `run ${n} has no step ${step}` },
          ]);
        if (steps.length > 1) process.stdout.write(`${bold(`--- step ${s}: ${run.steps[s - 1]!.title}`)}\n`);
        await printLog(ctx, n, s, o.follow ?? false);
      }
    });

  pipeline
    .command('approve <run>')
    .description('give the approval a run waits for')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const run = await (await ctx.client()).post<PipelineRun>(`/api/v1/pipeline-runs/${runId(id)}/approve`, {});
      if (ctx.output !== 'table') return printData(ctx.output, run);
      process.stdout.write(`run #${run.id} approved: it goes on\n`);
    });

  pipeline
    .command('cancel <run>')
    .description('cancel a queued, running or waiting run (the step under way is stopped)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const run = await (await ctx.client()).post<PipelineRun>(`/api/v1/pipeline-runs/${runId(id)}/cancel`, {});
      if (ctx.output !== 'table') return printData(ctx.output, run);
      process.stdout.write(`run #${run.id} ${run.status === 'cancelled' ? 'cancelled' : 'is being cancelled'}\n`);
    });
}
