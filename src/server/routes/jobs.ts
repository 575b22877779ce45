/**
 * The jobs of an app in an environment: each `kind: job` and `kind: cronjob` of its current release
 * with its schedule, time zone, next due time and history (runs, skipped and missed due times), and
 * a run of a cronjob started by hand (`berth jobs run`).
 */
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { JobRun } from '../../model/jobRuns.js';
import { jobsOf, timeZoneOf } from '../../cron/cronTargets.js';
import { nextDue } from '../../cron/schedule.js';
import type { JobsStatus, JobStatus } from '../apiTypes.js';
import type { ServerContext } from '../context.js';
import { requireApp } from '../appLookup.js';
import { AppEnvParams, type Api } from './api.js';

const JobParams = AppEnvParams.extend({ job: z.string().min(1).describe('Job or cronjob name') });

/** The status of one job or cronjob at `nowMs` with its recorded runs: a cronjob's schedule and next due time. */
export function jobStatusOf(
  { job, run }: ReturnType<typeof jobsOf>[number],
  timeZone: string,
  nowMs: number,
  runs: JobStatus['runs'],
): JobStatus {
  if (run.kind !== 'cronjob') return { job, kind: 'job', backoffLimit: run.backoffLimit, runs };
  const next = nextDue({ schedule: run.schedule, timeZone }, nowMs);
  return {
    job,
    kind: 'cronjob',
    schedule: run.schedule,
    timeZone,
    concurrency: run.concurrency,
    backoffLimit: run.backoffLimit,
    ...(next !== undefined ? { nextDueAt: new Date(next).toISOString() } : {}),
    runs,
  };
}

/** Jobs and their history; the cron scheduler and its history as the daemon hands them over. */
export function jobRoutes(api: Api, ctx: ServerContext): void {
  const jobsHere = async (app: string, env: string) => {
    await ctx.environments.get(env);
    await requireApp(ctx, app, env);
    const cur = await ctx.releases.current(app, env);
    return cur ? jobsOf(await ctx.releases.content(cur.id)) : [];
  };

  api.get(
    '/api/v1/apps/:app/envs/:env/jobs',
    {
      schema: {
        summary:
          'The jobs and cronjobs of the current release: schedule, time zone, next due time, and the history of runs (start, end, exit code, trigger, log tail), skipped and missed due times',
        tags: ['jobs'],
        params: AppEnvParams,
        querystring: z.object({ job: z.string().optional().describe('Only this job') }),
      },
    },
    async (req): Promise<JobsStatus> => {
      const { app, env } = req.params;
      const only = req.query.job;
      const jobs = (await jobsHere(app, env)).filter((j) => only === undefined || j.job === only);
      if (only !== undefined && jobs.length === 0)
        throw new NotFoundError(`app ${app} has no job or cronjob ${only} in ${env}`, {
          details: { app, env, job: only },
        });
      const timeZone = await timeZoneOf(ctx.environments, env);
      const out: JobStatus[] = [];
      // A job's runs (one per version, started by deploys) as the scheduler recorded them; a cronjob's all runs.
      for (const j of jobs)
        out.push(jobStatusOf(j, timeZone, Date.now(), (await ctx.jobRuns?.list(app, env, j.job)) ?? []));
      return { app, env, jobs: out };
    },
  );

  api.post(
    '/api/v1/apps/:app/envs/:env/jobs/:job/runs',
    {
      schema: {
        summary: 'Run a cronjob now (its history records the run as `manual`), whatever its concurrency',
        tags: ['jobs'],
        params: JobParams,
      },
    },
    async (req, reply): Promise<JobRun> => {
      const { app, env, job } = req.params;
      const found = (await jobsHere(app, env)).find((j) => j.job === job);
      if (!found) throw new NotFoundError(`app ${app} has no cronjob ${job} in ${env}`, { details: { app, env, job } });
      if (found.run.kind !== 'cronjob' || !ctx.cron)
        throw new ValidationError(
          `${job} is a job: it runs once per version at deploy; only a cronjob runs on demand`,
          [{ file: 'request path', path: 'job', message: `${job} is not a cronjob` }],
        );
      const run = await ctx.cron.runNow({ app, env, job });
      void reply.code(202);
      return run;
    },
  );
}
