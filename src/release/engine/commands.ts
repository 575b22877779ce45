/**
 * What an operator says to a running release: promote or abort the progressive rollout of one
 * service (a command left on its step, taken by the rollout at its next look), or cancel the whole
 * release (stored first, so a control plane that restarts still honours it, then the running
 * release is stopped at once).
 */
import { ConflictError, NotFoundError } from '../../errors.js';
import { message, said } from '../../model/messages.js';
import type { Release, Releases, StepCommand } from '../releases.js';
import { ReleaseKind } from '../../model/releaseStatus.js';
import { isoNow, type EngineClock } from './clock.js';
import { cancelledError } from './failure.js';
import type { OperationLock } from './operationLock.js';
import type { ReleaseBus } from './releaseBus.js';

export interface CommandContext {
  releases: Releases;
  bus: ReleaseBus;
  lock: OperationLock;
  clock: EngineClock;
}

export interface CommandRequest {
  app: string;
  env: string;
  service: string;
  author: string;
}

/** Leaves a promote/abort for the running progressive rollout of a service. */
export async function stepCommand(
  ctx: CommandContext,
  req: CommandRequest,
  kind: StepCommand['kind'],
): Promise<Release> {
  const { releases, bus } = ctx;
  const release = (await releases.unfinished()).find((r) => r.app === req.app && r.env === req.env);
  const what = kind === 'abort' ? 'abort' : 'promote';
  if (!release) throw new ConflictError(`nothing to ${what}: no release of ${req.app} is running in ${req.env}`);
  const step = release.steps.find((s) => s.service === req.service);
  if (!step) throw new NotFoundError(`revision ${release.revision} of ${req.app} has no service ${req.service}`);
  const taken = await releases.setCommand(release.id, req.service, { kind, by: req.author, at: isoNow(ctx.clock) });
  if (!taken) {
    const rolling = step.status === 'running' && !step.progress;
    throw new ConflictError(
      `nothing to ${what}: ${req.service} has no canary, blue-green or A/B rollout running in revision ${release.revision} (its step is ${rolling ? 'a rolling update, running' : step.status})` +
        (kind === 'abort'
          ? `; to end revision ${release.revision}, use \`berth cancel ${req.app} -e ${req.env}\``
          : ''),
      { details: { app: req.app, env: req.env, revision: release.revision, service: req.service } },
    );
  }
  await bus.record(release.id, {
    service: req.service,
    type: 'Normal',
    reason: kind === 'abort' ? 'AbortRequested' : 'PromoteRequested',
    ...said(
      message(
        kind === 'abort'
          ? 'event.abortRequested'
          : kind === 'promoteFull'
            ? 'event.promoteFullRequested'
            : 'event.promoteRequested',
        { by: req.author },
      ),
    ),
  });
  return releases.get(release.id);
}

/** Ends the running release of an app (only if it is still `revision`, when given). */
export async function cancelRelease(
  ctx: CommandContext,
  req: { app: string; env: string; author: string; revision?: number },
): Promise<Release> {
  const { releases, bus, lock } = ctx;
  const op = lock.current(req.app, req.env);
  const running = op?.release ?? (await releases.unfinished()).find((r) => r.app === req.app && r.env === req.env);
  if (!running) throw new ConflictError(`nothing to cancel: no release of ${req.app} is running in ${req.env}`);
  if (req.revision !== undefined && req.revision !== running.revision)
    throw new ConflictError(
      `revision ${req.revision} of ${req.app} is not running in ${req.env} (revision ${running.revision} is)`,
      { details: { app: req.app, env: req.env, revision: running.revision } },
    );
  const request = { by: req.author, at: isoNow(ctx.clock) };
  if (!(await releases.requestCancel(running.id, request))) {
    const now = await releases.get(running.id);
    throw new ConflictError(`nothing to cancel: revision ${now.revision} of ${req.app} has already ${now.status}`);
  }
  const stored = await releases.get(running.id);
  await bus.record(running.id, {
    service: null,
    type: 'Warning',
    reason: 'CancelRequested',
    ...said(
      message(
        stored.rollbackPolicy === 'auto' && stored.kind !== ReleaseKind.autoRollback
          ? 'event.cancelRequestedRollback'
          : 'event.cancelRequested',
        { by: req.author },
      ),
    ),
  });
  if (op?.release?.id === running.id) op.cancel?.abort(cancelledError(stored.cancelRequest ?? request));
  return stored;
}
