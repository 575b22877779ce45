/**
 * `berth jobs APP [JOB]`: the jobs and cronjobs of an app with their history (runs with start, end,
 * exit code, trigger and log tail; skipped and missed due times); `berth jobs run APP/JOB`: run a
 * cronjob now. A run's whole log: `berth logs APP/JOB --replica REPLICA`.
 */
import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import type { JobRun } from '../../model/jobRuns.js';
import type { JobsStatus } from '../../server/apiTypes.js';
import { contextOf } from '../context.js';
import { printData, printTable } from '../output.js';
import { envOption } from '../envOption.js';

const base = (app: string, env: string): string =>
  `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(env)}`;

function runRow(r: JobRun): Record<string, unknown> {
  return {
    run: r.runId,
    trigger: r.trigger,
    status: r.status,
    due: r.dueAt,
    started: r.startedAt,
    ended: r.endedAt,
    exit: r.exitCode,
    reason: r.reason,
    'log tail': r.logTail.slice(-1)[0],
  };
}

export function registerJobs(program: Command): void {
  const jobs = program
    .command('jobs')
    .description(
      'the jobs and cronjobs of an app: schedule, time zone, next run and the history of runs (berth jobs APP [JOB]); berth jobs run APP/JOB runs a cronjob now',
    )
    .argument('<app>', 'the app')
    .argument('[job]', 'only this job or cronjob')
    .addOption(envOption())
    .action(async (app: string, job: string | undefined, o: { env: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const q = job !== undefined ? `?job=${encodeURIComponent(job)}` : '';
      const st = await (await ctx.client()).get<JobsStatus>(`${base(app, o.env)}/jobs${q}`);
      if (ctx.output !== 'table') return printData(ctx.output, st);
      if (st.jobs.length === 0) {
        process.stdout.write(`${app} has no job or cronjob in ${o.env}\n`);
        return;
      }
      for (const j of st.jobs) {
        const head =
          j.kind === 'cronjob'
            ? `cronjob ${j.job}: ${j.schedule} (${j.timeZone}), concurrency ${j.concurrency}, backoffLimit ${j.backoffLimit}${j.nextDueAt ? `, next ${j.nextDueAt}` : ''}`
            : `job ${j.job}: runs once per version, backoffLimit ${j.backoffLimit}`;
        process.stdout.write(`${head}\n`);
        if (j.runs.length === 0) process.stdout.write('  no runs yet\n');
        else
          printTable(j.runs.map(runRow), [
            'run',
            'trigger',
            'status',
            'due',
            'started',
            'ended',
            'exit',
            'reason',
            'log tail',
          ]);
        process.stdout.write('\n');
      }
    });
  jobs
    .command('run <target>')
    .description('run a cronjob now (APP/JOB); its history records the run as manual')
    .addOption(envOption())
    .action(async (t: string, o: { env: string }, cmd: Command) => {
      const [app, job, extra] = t.split('/');
      if (!app || !job || extra !== undefined)
        throw new ValidationError('invalid target', [
          { file: 'command line', path: 'target', message: `"${t}" is not APP/JOB` },
        ]);
      const ctx = contextOf(cmd);
      const run = await (
        await ctx.client()
      ).post<JobRun>(`${base(app, o.env)}/jobs/${encodeURIComponent(job)}/runs`, {});
      if (ctx.output !== 'table') return printData(ctx.output, run);
      process.stdout.write(
        `run ${run.runId} of ${app}/${job} ${run.status === 'running' ? 'started' : `${run.status}: ${run.reason ?? ''}`}; its log: berth logs ${app}/${job} --replica ${run.replica ?? ''}\n`,
      );
      if (run.status === 'failed') process.exitCode = 1;
    });
}
