/**
 * Which jobs an app runs, read from the current release of each (app, env): its `kind: job` and
 * `kind: cronjob` services with their schedule, concurrency and the environment's time zone. What
 * the scheduler runs, and what `berth jobs` lists.
 */
import type { Environments } from '../environment/environments.js';
import type { Release, ReleaseContent } from '../release/releases.js';
import type { RunKind } from '../model/workload.js';
import type { CronTarget } from './scheduler.js';
import { DEFAULT_TIME_ZONE } from '../model/timeZone.js';

/** A job or cronjob of a current release. */
export interface JobSpec {
  job: string;
  run: Extract<RunKind, { kind: 'job' | 'cronjob' }>;
}

/** What the targets are read from. */
export interface JobSource {
  active(): Promise<Release[]>;
  current(app: string, env: string): Promise<Release | undefined>;
  content(id: number): Promise<ReleaseContent>;
}

/** The jobs and cronjobs of a release's content, by name. */
export function jobsOf(content: Pick<ReleaseContent, 'rendered'>): JobSpec[] {
  const out: JobSpec[] = [];
  for (const [job, svc] of Object.entries(content.rendered.services)) {
    const run = svc.run;
    if (run?.kind === 'job' || run?.kind === 'cronjob') out.push({ job, run });
  }
  return out.sort((a, b) => a.job.localeCompare(b.job));
}

/** The time zone an environment's cronjobs follow. */
export async function timeZoneOf(environments: Pick<Environments, 'get'>, env: string): Promise<string> {
  return (await environments.get(env)).target.timeZone ?? DEFAULT_TIME_ZONE;
}

/** Every `kind: job` of every current release, whose runs the scheduler records. */
export function jobTargets(releases: JobSource): () => Promise<{ app: string; env: string; job: string }[]> {
  const byId = new Map<number, JobSpec[]>();
  return async () => {
    const out: { app: string; env: string; job: string }[] = [];
    for (const cur of await releases.active()) {
      let jobs = byId.get(cur.id);
      if (!jobs) {
        jobs = jobsOf(await releases.content(cur.id));
        byId.set(cur.id, jobs);
      }
      for (const j of jobs) if (j.run.kind === 'job') out.push({ app: cur.app, env: cur.env, job: j.job });
    }
    return out;
  };
}

/** Every cronjob of every current release, for the scheduler. */
export function cronTargets(releases: JobSource, environments: Pick<Environments, 'get'>): () => Promise<CronTarget[]> {
  const byId = new Map<number, JobSpec[]>();
  return async () => {
    const out: CronTarget[] = [];
    for (const cur of await releases.active()) {
      let jobs = byId.get(cur.id);
      if (!jobs) {
        jobs = jobsOf(await releases.content(cur.id));
        byId.set(cur.id, jobs);
      }
      const crons = jobs.flatMap((j) => (j.run.kind === 'cronjob' ? [{ job: j.job, run: j.run }] : []));
      if (crons.length === 0) continue;
      const timeZone = await timeZoneOf(environments, cur.env).catch(() => DEFAULT_TIME_ZONE);
      for (const { job, run } of crons)
        out.push({ app: cur.app, env: cur.env, job, schedule: run.schedule, timeZone, concurrency: run.concurrency });
    }
    return out;
  };
}
