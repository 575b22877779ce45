/**
 * What each kind of step does, given the run's checkout: a test command or job, a build, a deploy
 * (durable: a deploy interrupted by a restart follows the release it already made, found by its
 * message, instead of deploying twice), a promotion. Approvals are the runner's (runner.ts).
 */
import { join } from 'node:path';
import { RuntimeError, ValidationError } from '../errors.js';
import type { PipelineDefinition, PipelineRun, PipelineRunStep, PipelineStepResult } from '../model/pipeline.js';
import type { PipelineStore } from './pipelineStore.js';
import type { StepLog } from './stepLog.js';
import type { StepPorts } from './stepPorts.js';
import { runTestCommand } from './testCommand.js';
import { processStartTime } from './leftovers.js';

export interface StepContext {
  run: PipelineRun & { commit: string };
  step: PipelineRunStep;
  definition: PipelineDefinition;
  /** The checkout's folder of berth.yaml. */
  appDir: string;
  log: StepLog;
  signal: AbortSignal;
  store: PipelineStore;
  ports: StepPorts;
}

/** The message of a deploy step's release: names the run and the step, so a resumed step finds it. */
export function deployMessage(run: PipelineRun & { commit: string }, index: number): string {
  return `pipeline run #${run.id} step ${index + 1}: commit ${run.commit.slice(0, 12)}`;
}

/** Runs one step (not an approval); resolves with its result, rejects with why it failed. */
export async function performStep(c: StepContext): Promise<PipelineStepResult> {
  const { run, step, log, signal } = c;
  const s = step.spec;
  const specFile = join(c.appDir, 'berth.yaml');
  const author = `${run.author} (pipeline run #${run.id})`;
  const onLog = (text: string): void => log.write(text.endsWith('\n') ? text : `${text}\n`);
  switch (s.kind) {
    case 'test': {
      if ('command' in s) {
        log.note(`==> ${s.command}`);
        return runTestCommand({
          command: s.command,
          cwd: c.appDir,
          timeoutMs: s.timeoutMs,
          env: {
            CI: 'true',
            BERTH_PIPELINE_RUN: String(run.id),
            BERTH_COMMIT: run.commit,
            BERTH_BRANCH: run.branch,
          },
          log,
          signal,
          // Recorded, so a restarted control plane stops this group before running the step again.
          onStart: (pid) => {
            const pidStart = processStartTime(pid);
            if (pidStart !== undefined)
              c.store.updateStep(run.id, step.index, { status: 'running', result: { pid, pidStart } });
          },
        });
      }
      if (!c.ports.jobs) throw new RuntimeError('this control plane runs no jobs for pipelines');
      log.note(`==> job ${s.job} in ${s.env}`);
      const r = await c.ports.jobs.run({ app: run.app, env: s.env, job: s.job, specFile, author }, { onLog, signal });
      if (r.exitCode !== 0) throw new RuntimeError(`job ${s.job} exited with ${r.exitCode}`);
      return { exitCode: r.exitCode };
    }
    case 'build': {
      if (!c.ports.builds) throw new RuntimeError('this control plane has no build service for pipelines');
      log.note(`==> building the services with build: for ${s.env}`);
      let streamed = 0;
      const built = await c.ports.builds.run(
        {
          app: run.app,
          env: s.env,
          specFile,
          git: { url: c.definition.source.url, commit: run.commit, subPath: c.definition.source.path },
          commit: run.commit,
          author,
        },
        {
          onLog: (text) => {
            streamed++;
            onLog(text);
          },
          signal,
        },
      );
      const services = built.services.map((b) => ({
        service: b.service,
        status: b.status,
        ...(b.image ? { image: b.image } : {}),
        ...(b.imageDigest ? { imageDigest: b.imageDigest } : {}),
        ...(b.codeDigest ? { codeDigest: b.codeDigest } : {}),
      }));
      const failed = built.services.filter((b) => b.status === 'failed');
      if (failed.length > 0) {
        // A build that streamed its log has its failed services' last lines in the step's log already.
        if (streamed === 0)
          for (const f of failed) for (const line of f.logTail ?? []) log.note(`${f.service}: ${line}`);
        throw new RuntimeError(`the build of ${failed.map((f) => f.service).join(', ')} failed`);
      }
      return { ...(built.buildId ? { buildId: built.buildId } : {}), services };
    }
    case 'deploy':
      return deployStep(c, s.env, specFile, author);
    case 'promote': {
      if (!c.ports.promotions) throw new RuntimeError('this control plane has no promotion for pipelines');
      // An approval earlier in this run is the explicit confirmation a protected target asks for.
      const confirmed = run.steps.some(
        (p) => p.index < step.index && p.spec.kind === 'approval' && p.status === 'succeeded',
      );
      log.note(`==> promoting ${run.app} from ${s.from} to ${s.to}`);
      const r = await c.ports.promotions.promote(
        { app: run.app, from: s.from, to: s.to, author, message: `pipeline run #${run.id}`, confirmed },
        { onLog, signal },
      );
      return { ...r, env: s.to };
    }
    case 'approval':
      throw new ValidationError('an approval is not performed: it is approved', []);
  }
}

async function deployStep(c: StepContext, env: string, specFile: string, author: string): Promise<PipelineStepResult> {
  const { run, step, log, signal } = c;
  const deployer = c.ports.deployer;
  const message = deployMessage(run, step.index);
  let release =
    step.result?.releaseId !== undefined && step.result.revision !== undefined
      ? { releaseId: step.result.releaseId, revision: step.result.revision, env }
      : await deployer.find(run.app, env, message);
  if (release)
    log.note(`==> following revision ${release.revision} of ${env}, made before the control plane restarted`);
  else {
    log.note(`==> deploying ${run.app} at ${run.commit.slice(0, 12)} to ${env}`);
    const onLog = (line: string): void => log.note(line);
    release = await deployer.deploy({
      app: run.app,
      env,
      specFile,
      commit: run.commit,
      author,
      message,
      signal,
      onLog,
    });
    // Recorded before waiting: a restart from here on follows this release.
    c.store.updateStep(run.id, step.index, { status: 'running', result: { ...release } });
    log.note(`==> revision ${release.revision} of ${env} created`);
  }
  const done = await deployer.wait(release, { onLog: (l) => log.note(l), signal });
  if (done.status !== 'succeeded')
    throw new RuntimeError(`revision ${release.revision} of ${env} failed${done.reason ? `: ${done.reason}` : ''}`);
  log.note(`==> revision ${release.revision} of ${env} succeeded`);
  return { ...release };
}
