/**
 * The control plane's side of the pipelines (src/pipelines/): their store, and the release engine's
 * deploy as a pipeline's deploy step calls it — the checkout's berth.yaml released like
 * `POST /api/v1/releases` does, queued behind an operation already running, followed event by event.
 * The checkout is removed when the run ends, so a deploy from it pins every process service's code
 * (`pinCode: true` unless berth.yaml says false): its replicas run the snapshot, not the checkout.
 */
import type { Logger } from 'pino';
import type { SecretBox } from '../config/secretBox.js';
import { ValidationError } from '../errors.js';
import { Pipelines } from '../pipelines/pipelines.js';
import { PipelineStore } from '../pipelines/pipelineStore.js';
import type { PipelineDeployer, StepPorts } from '../pipelines/stepPorts.js';
import type { ReleaseEngine } from '../release/engine/engine.js';
import type { Releases } from '../release/releases.js';
import { loadSpec, specDigest } from '../spec/load.js';
import type { Store } from '../store/store.js';
import type { CronScheduler } from '../cron/scheduler.js';
import type { JobRunStore } from '../cron/jobRunStore.js';
import { jobsOf } from '../cron/cronTargets.js';
import { NotFoundError } from '../errors.js';
import type { PipelineBuilds, PipelineJobs, PipelinePromotions } from '../pipelines/stepPorts.js';
import type { Builds } from '../build/builds.js';
import { dirname } from 'node:path';
import { RuntimeError } from '../errors.js';
import { promote, type PromoteDeps } from '../release/promote.js';
import type { AuditLog } from '../audit/auditLog.js';
import { auditedDeployer } from './auditActions.js';
import { approvedDeployer, approvedPromotions, type PipelineApprovalDeps } from './pipelineApprovals.js';

/** The release engine as a pipeline's deploy step. */
export function engineDeployer(engine: ReleaseEngine, releases: Releases): PipelineDeployer {
  return {
    async deploy(req) {
      const loaded = await loadSpec(req.specFile);
      if (loaded.spec.name !== req.app)
        throw new ValidationError(`${req.specFile} is app ${loaded.spec.name}, not ${req.app}`, [
          { file: req.specFile, path: 'name', message: `the pipeline of ${req.app} deploys ${req.app}` },
        ]);
      const services = Object.fromEntries(
        Object.entries(loaded.spec.services).map(([name, s]) => [
          name,
          s.pinCode === undefined ? { ...s, pinCode: true } : s,
        ]),
      );
      const spec = { ...loaded.spec, services };
      const release = await engine.deploy({
        loaded: { spec, file: loaded.file, digest: specDigest(spec), positionOf: loaded.positionOf },
        env: req.env,
        author: req.author,
        message: req.message,
        ...(req.commit === undefined ? {} : { commit: req.commit }),
        rollbackPolicy: 'auto',
        wait: true,
        signal: req.signal,
      });
      return { releaseId: release.id, revision: release.revision, env: req.env };
    },
    async find(app, env, message) {
      const found = (await releases.list(app, env, 50)).find((r) => r.message === message);
      return found && { releaseId: found.id, revision: found.revision, env };
    },
    async wait(release, { onLog, signal }) {
      const off = engine.subscribe(release.releaseId, (u) => {
        if (u.type === 'event') onLog(`${u.event.service ? `${u.event.service}: ` : ''}${u.event.message}`);
      });
      try {
        const r = await engine.wait(release.releaseId, signal);
        return r.status === 'succeeded'
          ? { status: 'succeeded' }
          : { status: 'failed', ...(r.reason ? { reason: r.reason } : {}) };
      } finally {
        off();
      }
    },
  };
}

/**
 * A `test: { job }` step: a run on demand of a cronjob of the environment's running release (what
 * `berth jobs run` starts), waited for; its exit code is the step's. A `kind: job` runs at each deploy
 * already (its outcome is the deploy step's), so it is refused here.
 */
export function cronJobs(
  cron: Pick<CronScheduler, 'runNow'>,
  runs: Pick<JobRunStore, 'list'>,
  releases: Releases,
): PipelineJobs {
  return {
    async run(req, { onLog, signal }) {
      const { app, env, job } = req;
      const current = await releases.current(app, env);
      if (!current)
        throw new NotFoundError(`${app} is not deployed in ${env}: a job step runs a cronjob of the running release`);
      const found = jobsOf(await releases.content(current.id)).find((j) => j.job === job);
      if (!found) throw new NotFoundError(`revision ${current.revision} of ${app} in ${env} has no cronjob ${job}`);
      if (found.run.kind !== 'cronjob')
        throw new ValidationError(`${job} is a kind: job: it runs at each deploy (the deploy step's outcome)`, [
          { path: 'job', message: 'a test step runs a cronjob on demand' },
        ]);
      const started = await cron.runNow({ app, env, job });
      onLog(`==> run ${started.runId} of ${job} in ${env} (revision ${current.revision})`);
      for (;;) {
        if (signal.aborted) throw signal.reason as Error;
        const r = (await runs.list(app, env, job, 50)).find((x) => x.runId === started.runId);
        if (r && r.status !== 'running') {
          for (const line of r.logTail) onLog(line);
          if (r.reason) onLog(`==> ${r.reason}`);
          return { exitCode: r.status === 'succeeded' ? 0 : (r.exitCode ?? 1) };
        }
        await new Promise((res) => setTimeout(res, 300));
      }
    },
  };
}

/** A `build` step: every service with `build:` of the run's checkout built (berth build's Builds.run). */
export function controlPlaneBuilds(builds: Pick<Builds, 'run'>): PipelineBuilds {
  return {
    async run(req, { onLog, signal }) {
      const out = await builds.run(
        {
          app: req.app,
          env: req.env,
          dir: dirname(req.specFile),
          commit: req.commit,
          git: req.git,
          author: req.author,
        },
        { onLog, signal },
      );
      return { buildId: out.id, services: out.services };
    },
  };
}

/**
 * A `promote` step: the promotion `berth promote` makes, followed until its release finishes. The
 * release carries the step's message, so a step a restart interrupted follows the promotion it made
 * instead of promoting twice.
 */
export function enginePromotions(
  deps: PromoteDeps & { engine: ReleaseEngine; releases: Releases },
): PipelinePromotions {
  const deployer = engineDeployer(deps.engine, deps.releases);
  return {
    async promote(req, { onLog, signal }) {
      const message = req.message ?? `promoted from ${req.from}`;
      let release = await deployer.find(req.app, req.to, message);
      if (release)
        onLog(`==> following revision ${release.revision} of ${req.to}, made before the control plane restarted`);
      else {
        const r = await promote(deps, { ...req, message, signal });
        release = { releaseId: r.releaseId, revision: r.revision, env: req.to };
        onLog(`==> revision ${r.revision} of ${req.to} runs ${r.source.env}@${r.source.revision}`);
      }
      const done = await deployer.wait(release, { onLog, signal });
      if (done.status !== 'succeeded')
        throw new RuntimeError(
          `the promotion to ${req.to} (revision ${release.revision}) failed: ${done.reason ?? 'see berth history'}`,
        );
      return release;
    },
  };
}

/** The control plane's pipelines; the other ports (builds, promotions, previews) are added as their parts land. */
export function createPipelines(deps: {
  home: string;
  store: Store;
  box: SecretBox;
  engine: ReleaseEngine;
  releases: Releases;
  logger: Logger;
  jobs?: { cron: Pick<CronScheduler, 'runNow'>; runs: Pick<JobRunStore, 'list'> };
  ports?: Omit<StepPorts, 'deployer' | 'jobs'>;
  /** The audit log a deploy step is recorded in (src/server/auditActions.ts). */
  audit?: Pick<AuditLog, 'append'>;
  /** Deploys and promotions into environments with approvals wait for one (pipelineApprovals.ts). */
  approvals?: PipelineApprovalDeps;
}): Pipelines {
  const deployer = engineDeployer(deps.engine, deps.releases);
  const promotions = deps.ports?.promotions;
  // A deploy step is recorded as the control plane acting for the run; into an environment with approvals it waits for one.
  const audited = deps.audit ? auditedDeployer(deployer, deps.audit) : deployer;
  return new Pipelines({
    home: deps.home,
    store: new PipelineStore(deps.store.sqlite),
    box: deps.box,
    ports: {
      deployer: deps.approvals ? approvedDeployer(audited, deps.approvals) : audited,
      ...(deps.jobs ? { jobs: cronJobs(deps.jobs.cron, deps.jobs.runs, deps.releases) } : {}),
      ...deps.ports,
      ...(deps.approvals && promotions
        ? { promotions: approvedPromotions(promotions, { ...deps.approvals, wait: deployer.wait }) }
        : {}),
    },
    logger: deps.logger,
  });
}
