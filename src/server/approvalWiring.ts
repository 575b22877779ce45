/**
 * What runs an approved request (src/approvals/): each action through the code its direct route runs
 * — a deploy, a promotion, a rollback, a config change or revert — as the request's author, its
 * message ending in the request's marker so the release or config version names its approvers and a
 * control plane restarted midway finds what it had started. Also the check of an explicitly created
 * request: its `request` is validated with the operation's own body schema, problems named
 * `request.<field>`.
 */
import type { z } from 'zod';
import type { ServerContext } from './context.js';
import { ValidationError, type Problem } from '../errors.js';
import type { ApprovalExecutor } from '../approvals/approvals.js';
import type { ApprovalAction, ApprovalRequest, ApprovalResult } from '../model/approvals.js';
import { DeployBody, RollbackBody, deployOptionsOf, sentSpec } from './routes/releases.js';
import { PromotionBody } from './routes/promotions.js';
import { ConfigChange, ConfigRevertBody, configWriteOf } from './routes/config.js';
import { promote } from '../release/promote.js';
import { specDigest, type LoadedSpec } from '../spec/load.js';

/** `loaded` with every process service's code pinned unless its berth.yaml says otherwise (pipelineWiring.ts). */
function pinned(loaded: LoadedSpec): LoadedSpec {
  const services = Object.fromEntries(
    Object.entries(loaded.spec.services).map(([name, s]) => [
      name,
      s.pinCode === undefined ? { ...s, pinCode: true } : s,
    ]),
  );
  const spec = { ...loaded.spec, services };
  return { ...loaded, spec, digest: specDigest(spec) };
}

const withMarker = (message: unknown, fallback: string, marker: string): string =>
  `${typeof message === 'string' && message ? message : fallback} ${marker}`;

/** Runs approved requests with the control plane's engine and config sets. */
export function approvalExecutor(
  ctx: Pick<ServerContext, 'engine' | 'releases' | 'environments' | 'configSets'>,
): ApprovalExecutor {
  return {
    async run(a, request, marker) {
      switch (a.action) {
        case 'deploy': {
          const b = DeployBody.parse({ ...request, env: a.env });
          const sent = sentSpec({ ...b, app: a.app });
          // A pipeline's deploy (pipelineApprovals.ts): its checkout goes, its replicas run snapshots.
          const loaded =
            sent && request['pinCode'] === true ? pinned(sent) : (sent ?? (await ctx.engine.latestSpec(a.app, a.env)));
          const release = await ctx.engine.deploy({
            ...deployOptionsOf(b, a.author),
            message: withMarker(b.message, a.reason ?? 'deploy', marker),
            loaded,
            wait: true,
          });
          return { revision: release.revision };
        }
        case 'rollback': {
          const b = RollbackBody.parse(request);
          const release = await ctx.engine.rollback({
            app: a.app,
            env: a.env,
            author: a.author,
            ...(b.toRevision === undefined ? {} : { toRevision: b.toRevision }),
            message: withMarker(b.message, a.reason ?? 'rollback', marker),
            wait: true,
          });
          return { revision: release.revision };
        }
        case 'promote': {
          const b = PromotionBody.parse({ ...request, app: a.app, to: a.env });
          const { release } = await promote(
            { engine: ctx.engine, releases: ctx.releases, environments: ctx.environments, configSets: ctx.configSets },
            {
              app: a.app,
              from: b.from,
              to: a.env,
              author: a.author,
              confirmed: true,
              message: withMarker(b.message, a.reason ?? `promoted from ${b.from}`, marker),
              ...(b.revision === undefined ? {} : { revision: b.revision }),
              ...(b.configVersion === undefined ? {} : { configVersion: b.configVersion }),
              wait: true,
            },
          );
          return { revision: release.revision };
        }
        case 'config': {
          const b = ConfigChange.parse(request);
          const v = await ctx.configSets.write(
            a.app,
            a.env,
            configWriteOf({ ...b, message: withMarker(b.message, a.reason ?? 'config change', marker) }, a.author),
          );
          return { configVersion: v.version };
        }
        case 'config-revert': {
          const b = ConfigRevertBody.parse(request);
          const v = await ctx.configSets.revert(a.app, a.env, {
            to: b.to,
            author: a.author,
            ...(b.baseVersion === undefined ? {} : { baseVersion: b.baseVersion }),
            message: withMarker(b.message, a.reason ?? `revert to version ${b.to}`, marker),
          });
          return { configVersion: v.version };
        }
      }
    },

    async find(a: ApprovalRequest, prefix: string): Promise<ApprovalResult | undefined> {
      if (a.action === 'config' || a.action === 'config-revert') {
        const v = (await ctx.configSets.history(a.app, a.env)).find((h) => h.message?.includes(prefix));
        return v ? { configVersion: v.version } : undefined;
      }
      const r = (await ctx.releases.list(a.app, a.env, 50)).find((x) => x.message?.includes(prefix));
      return r ? { revision: r.revision } : undefined;
    },
  };
}

/** The body schema of each action's direct operation. */
const SCHEMAS: ReadonlyMap<ApprovalAction, z.ZodType> = new Map<ApprovalAction, z.ZodType>([
  ['deploy', DeployBody],
  ['rollback', RollbackBody],
  ['promote', PromotionBody],
  ['config', ConfigChange],
  ['config-revert', ConfigRevertBody],
]);

/** Problems of the request's own fields named `request.<field>` (a sent berth.yaml's keep their file). */
const inRequest = (problems: readonly Problem[]): Problem[] =>
  problems.map((p) =>
    p.file && p.file !== 'request body'
      ? p
      : { ...p, file: 'request body', path: p.path ? `request.${p.path}` : 'request' },
  );

/**
 * An explicitly asked request checked as its operation's route would check it (its app and
 * environment filled in from the approval request's); the request to store, or a 400 naming
 * `request.<field>`.
 */
export async function checkedRequest(
  ctx: Pick<ServerContext, 'engine' | 'environments'>,
  action: ApprovalAction,
  app: string,
  env: string,
  request: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  await ctx.environments.get(env);
  const filled =
    action === 'deploy' ? { ...request, env } : action === 'promote' ? { ...request, app, to: env } : request;
  const parsed = SCHEMAS.get(action)!.safeParse(filled);
  if (!parsed.success)
    throw new ValidationError(
      `invalid ${action} request`,
      inRequest(parsed.error.issues.map((i) => ({ file: '', path: i.path.map(String).join('.'), message: i.message }))),
    );
  const body = parsed.data as Record<string, unknown>;
  if (action === 'deploy') {
    try {
      if (!sentSpec({ ...(body as z.infer<typeof DeployBody>), app })) await ctx.engine.latestSpec(app, env);
    } catch (err) {
      throw err instanceof ValidationError ? new ValidationError(err.message, inRequest(err.problems)) : err;
    }
  }
  const { wait: _w, confirmed: _c, ...rest } = body;
  return rest;
}
