/**
 * A pipeline's deploy or promote step into an environment that needs approvals (docs/access.md,
 * Approvals; docs/pipelines.md): the step records an approval request — by the run's author, its
 * reason the step's release message — and waits for it, its log saying which request to approve.
 * Once approved, the request runs the operation (src/approvals/) and the step follows its release; a
 * rejected, expired, withdrawn or failed request fails the step. A step a restart interrupted finds
 * its request again by that reason instead of asking twice.
 */
import { readFile } from 'node:fs/promises';
import type { Approvals } from '../approvals/approvals.js';
import type { Environments } from '../environment/environments.js';
import { approvalsRequired } from '../environment/protection.js';
import { RuntimeError } from '../errors.js';
import { FINAL_APPROVAL_STATES, type ApprovalAction, type ApprovalRequest } from '../model/approvals.js';
import type { PipelineDeployer, PipelinePromotions, StepRelease } from '../pipelines/stepPorts.js';
import type { Releases } from '../release/releases.js';

const POLL_MS = 1000;

/**
 * The person behind a step's author (`alice (pipeline run #3)` → `alice`): the request's author, who
 * may not approve it; the run and step stay named by the release's message.
 */
export function personOf(author: string): string {
  return author.replace(/ \(pipeline run #\d+\)$/, '');
}

export interface PipelineApprovalDeps {
  approvals: Pick<Approvals, 'create' | 'get' | 'list'>;
  environments: Pick<Environments, 'get'>;
  releases: Pick<Releases, 'byRevision'>;
}

/** The request a step made (by its reason), unless it ended without running. */
async function existing(
  deps: PipelineApprovalDeps,
  action: ApprovalAction,
  app: string,
  env: string,
  reason: string,
): Promise<ApprovalRequest | undefined> {
  const mine = (await deps.approvals.list({ app, env, limit: 200 })).filter(
    (a) => a.action === action && a.reason === reason,
  );
  return mine.find((a) => !['rejected', 'expired', 'withdrawn'].includes(a.state)) ?? mine[0];
}

/** Waits for request `a` to end; the release it started, or throws why it did not run. */
async function settled(
  deps: PipelineApprovalDeps,
  a: ApprovalRequest,
  onLog: (line: string) => void,
  signal: AbortSignal,
): Promise<StepRelease> {
  let cur = a;
  if (cur.state === 'pending')
    onLog(
      `==> ${a.action} of ${a.app} into ${a.env} waits for ${a.required - a.approvals.length} approval(s): request #${a.id} (berth approval approve ${a.id}; expires ${a.expiresAt})`,
    );
  let seen = cur.approvals.length;
  while (!FINAL_APPROVAL_STATES.includes(cur.state)) {
    if (signal.aborted) throw signal.reason as Error;
    await new Promise((r) => setTimeout(r, POLL_MS));
    cur = await deps.approvals.get(a.id);
    for (const v of cur.approvals.slice(seen)) onLog(`==> approved by ${v.name}`);
    seen = cur.approvals.length;
  }
  if (cur.state !== 'done' || cur.result?.revision === undefined)
    throw new RuntimeError(
      `approval request #${cur.id} ${cur.state}${cur.endedBy ? ` by ${cur.endedBy}` : ''}${cur.endReason ? `: ${cur.endReason}` : ''}${cur.error ? `: ${cur.error}` : ''}`,
    );
  const release = await deps.releases.byRevision(cur.app, cur.env, cur.result.revision);
  onLog(
    `==> request #${cur.id} approved by ${cur.approvals.map((v) => v.name).join(', ')}: revision ${release.revision}`,
  );
  return { releaseId: release.id, revision: release.revision, env: cur.env };
}

/** Asks (or finds the request asked before) and waits for it. */
async function throughApproval(
  deps: PipelineApprovalDeps,
  ask: {
    action: ApprovalAction;
    app: string;
    env: string;
    author: string;
    reason: string;
    request: Record<string, unknown>;
  },
  onLog: (line: string) => void,
  signal: AbortSignal,
): Promise<StepRelease> {
  const found = await existing(deps, ask.action, ask.app, ask.env, ask.reason);
  const a =
    found && !['rejected', 'expired', 'withdrawn'].includes(found.state)
      ? found
      : await deps.approvals.create({
          action: ask.action,
          app: ask.app,
          env: ask.env,
          request: ask.request,
          shown:
            ask.action === 'deploy'
              ? { ...ask.request, spec: { file: (ask.request['spec'] as { file: string }).file } }
              : ask.request,
          author: personOf(ask.author),
          reason: ask.reason,
          required: approvalsRequired(await deps.environments.get(ask.env)),
        });
  return settled(deps, a, onLog, signal);
}

/** `deployer` whose deploys into an environment with approvals wait for one. */
export function approvedDeployer(inner: PipelineDeployer, deps: PipelineApprovalDeps): PipelineDeployer {
  return {
    ...inner,
    async deploy(req) {
      if (!approvalsRequired(await deps.environments.get(req.env))) return inner.deploy(req);
      const text = await readFile(req.specFile, 'utf8');
      const request = {
        spec: { text, file: req.specFile },
        message: req.message,
        ...(req.commit === undefined ? {} : { commit: req.commit }),
        // The checkout goes when the run ends: the release runs snapshots of its code (pipelineWiring.ts).
        pinCode: true,
      };
      const ask = {
        action: 'deploy' as const,
        app: req.app,
        env: req.env,
        author: req.author,
        reason: req.message,
        request,
      };
      return throughApproval(deps, ask, req.onLog ?? (() => undefined), req.signal);
    },
    async find(app, env, message) {
      if (!approvalsRequired(await deps.environments.get(env))) return inner.find(app, env, message);
      const a = await existing(deps, 'deploy', app, env, message);
      if (a?.state !== 'done' || a.result?.revision === undefined) return undefined;
      const r = await deps.releases.byRevision(app, env, a.result.revision);
      return { releaseId: r.id, revision: r.revision, env };
    },
  };
}

/** `promotions` whose promotions into an environment with approvals wait for one. */
export function approvedPromotions(
  inner: PipelinePromotions,
  deps: PipelineApprovalDeps & { wait: PipelineDeployer['wait'] },
): PipelinePromotions {
  return {
    async promote(req, opts) {
      if (!approvalsRequired(await deps.environments.get(req.to))) return inner.promote(req, opts);
      const reason = req.message ?? `promoted from ${req.from}`;
      const ask = {
        action: 'promote' as const,
        app: req.app,
        env: req.to,
        author: req.author,
        reason,
        request: { app: req.app, from: req.from, to: req.to, message: reason },
      };
      const release = await throughApproval(deps, ask, opts.onLog, opts.signal);
      const done = await deps.wait(release, opts);
      if (done.status !== 'succeeded')
        throw new RuntimeError(
          `the promotion to ${req.to} (revision ${release.revision}) failed: ${done.reason ?? 'see berth history'}`,
        );
      return release;
    },
  };
}
