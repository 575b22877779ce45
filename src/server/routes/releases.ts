/** Releases: plan, deploy, history, one revision, its live events (SSE), diff and rollback. */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { AppEnvParams, ConfigChangeInput, SpecInput, configChangeOf, sse, type Api } from './api.js';
import { authorOf } from '../identity.js';
import { authorize } from '../routePermissions.js';
import { ValidationError } from '../../errors.js';
import { parseSpec } from '../../spec/load.js';
import type { DeployRequest, EngineUpdate, PlanRequest } from '../../release/engine/engine.js';
import type { Release } from '../../release/releases.js';
import type { LoadedSpec } from '../../spec/load.js';
import { Wait, waitOptions } from './operationWait.js';
import { planResponse } from '../planResponse.js';
import { requireApp } from '../appLookup.js';
import { requireAuthorized } from '../../environment/protection.js';
import { approvalsOf, askFor } from '../approvalAsk.js';

/** The explicit confirmation an operation into a protected environment needs (src/environment/protection.ts). */
const Confirmed = z
  .boolean()
  .default(false)
  .describe('Confirms an operation into a protected environment (refused with 403 without it)');

export const DeployBody = z.object({
  env: z.string().min(1).default('local').describe('Environment to deploy to'),
  spec: SpecInput.optional().describe("The berth.yaml; without it, `app`'s latest revision's spec is used"),
  app: z.string().min(1).optional().describe('The app whose latest spec to use when `spec` is not sent'),
  message: z.string().max(500).optional().describe('Why this release'),
  rollbackPolicy: z
    .enum(['auto', 'none'])
    .default('auto')
    .describe('Roll back to the last good revision when the release fails'),
  configVersion: z.number().int().min(0).optional().describe('Config version to deploy (default: current)'),
  timeoutSeconds: z
    .number()
    .int()
    .positive()
    .max(86_400)
    .optional()
    .describe(
      'Fail the release when it has not finished this long after it started (kept when the control plane restarts)',
    ),
  wait: Wait,
  confirmed: Confirmed,
  commit: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('Services with `build:` run their newest successful build of this commit (docs/builds.md)'),
});

/** A rollback's body (also what a rollback's approval request carries). */
export const RollbackBody = z.object({
  toRevision: z.number().int().positive().optional(),
  message: z.string().max(500).optional(),
  wait: Wait,
  confirmed: Confirmed,
});

/** The shortest time between two reads of a followed release's steps (each event wakes the follower). */
const STEPS_READ_MS = 250;

const RevisionParams = AppEnvParams.extend({ revision: z.coerce.number().int().positive() });

export const PlanBody = DeployBody.omit({
  message: true,
  rollbackPolicy: true,
  timeoutSeconds: true,
  wait: true,
  confirmed: true,
}).extend({
  config: ConfigChangeInput.partial({ baseVersion: true })
    .optional()
    .describe('Plan against the current config with this change applied: nothing is written'),
});

type SpecSource = { spec?: z.infer<typeof SpecInput> | undefined; app?: string | undefined };

/**
 * The berth.yaml a plan or deploy sent, parsed (and of the app it names, if it names one); undefined
 * when none was sent and the app's latest spec is to be used. A ValidationError names the body field.
 */
export function sentSpec(b: SpecSource): LoadedSpec | undefined {
  if (b.spec) {
    const loaded = parseSpec(b.spec.text, b.spec.file);
    if (b.app !== undefined && b.app !== loaded.spec.name)
      throw new ValidationError('invalid request', [
        { path: 'app', message: `the spec sent is app ${loaded.spec.name}, not ${b.app}` },
      ]);
    return loaded;
  }
  if (b.app === undefined)
    throw new ValidationError('invalid request', [
      { path: 'spec', message: 'send the berth.yaml as spec, or name the app whose latest spec to use' },
    ]);
  return undefined;
}

/** The engine's plan request of a plan body but its spec; a config change and a config version together are refused. */
export function planOptionsOf(b: z.infer<typeof PlanBody>): Omit<PlanRequest, 'loaded'> {
  if (b.config && b.configVersion !== undefined)
    throw new ValidationError('invalid plan request', [
      { path: 'config', message: 'a config change applies to the current config: leave out configVersion' },
    ]);
  return {
    env: b.env,
    ...(b.configVersion === undefined ? {} : { configVersion: b.configVersion }),
    ...(b.config ? { configChange: configChangeOf(b.config) } : {}),
    ...(b.commit === undefined ? {} : { commit: b.commit }),
  };
}

/** The engine's deploy request of a deploy body but its spec and `wait` (that one needs the reply). */
export function deployOptionsOf(
  b: z.infer<typeof DeployBody>,
  author: string,
): Omit<DeployRequest, 'loaded' | 'wait' | 'signal'> {
  return {
    env: b.env,
    author,
    rollbackPolicy: b.rollbackPolicy,
    ...(b.message === undefined ? {} : { message: b.message }),
    ...(b.configVersion === undefined ? {} : { configVersion: b.configVersion }),
    ...(b.timeoutSeconds === undefined ? {} : { timeoutMs: b.timeoutSeconds * 1000 }),
    ...(b.commit === undefined ? {} : { commit: b.commit }),
  };
}

export function releaseRoutes(api: Api, ctx: ServerContext): void {
  /** The berth.yaml sent, or the latest revision's spec of the app named. */
  const specOf = async (b: SpecSource & { env: string }) => sentSpec(b) ?? ctx.engine.latestSpec(b.app!, b.env);

  api.post(
    '/api/v1/plans',
    {
      schema: {
        summary: 'What a deploy would change, service by service and field by field',
        tags: ['releases'],
        body: PlanBody,
      },
    },
    async (req) => {
      const b = req.body;
      const options = planOptionsOf(b);
      const loaded = await specOf(b);
      await authorize(req, ctx, 'apps:read', { app: loaded.spec.name, env: b.env });
      const result = await ctx.engine.plan({ loaded, ...options });
      return planResponse(ctx, loaded.spec.name, b.env, result);
    },
  );

  api.post(
    '/api/v1/releases',
    {
      schema: {
        summary: 'Deploy: create a revision and apply it in dependency order',
        tags: ['releases'],
        body: DeployBody,
      },
    },
    async (req, reply) => {
      const b = req.body;
      const loaded = await specOf(b);
      await authorize(req, ctx, 'apps:deploy', { app: loaded.spec.name, env: b.env });
      // Into an environment that needs approvals: recorded, run once approved (docs/access.md, Approvals).
      if (await approvalsOf(ctx, b.env))
        return reply.status(202).send(
          await askFor(req, ctx, {
            action: 'deploy',
            app: loaded.spec.name,
            env: b.env,
            request: b,
            reason: b.message,
          }),
        );
      const author = authorOf(req);
      const guard = { env: b.env, app: loaded.spec.name, author, confirmed: b.confirmed };
      await requireAuthorized(ctx.environments, { ...guard, action: 'deploy' });
      const release = await ctx.engine.deploy({
        ...deployOptionsOf(b, author),
        loaded,
        ...waitOptions(b.wait, reply),
      });
      return reply.status(202).send(release);
    },
  );

  api.get(
    '/api/v1/apps/:app/envs/:env/releases',
    {
      schema: {
        summary: 'Release history, newest first',
        tags: ['releases'],
        params: AppEnvParams,
        querystring: z.object({ limit: z.coerce.number().int().positive().max(1000).default(50) }),
      },
    },
    async (req) => {
      await ctx.environments.get(req.params.env);
      await requireApp(ctx, req.params.app, req.params.env);
      return ctx.releases.list(req.params.app, req.params.env, req.query.limit);
    },
  );

  api.get(
    '/api/v1/apps/:app/envs/:env/releases/:revision',
    { schema: { summary: 'One revision with its steps', tags: ['releases'], params: RevisionParams } },
    async (req) => ctx.releases.byRevision(req.params.app, req.params.env, req.params.revision),
  );

  api.get(
    '/api/v1/apps/:app/envs/:env/releases/:revision/rendered',
    {
      schema: {
        summary: 'The rendered desired state of a revision (secrets masked)',
        tags: ['releases'],
        params: RevisionParams,
      },
    },
    async (req) => {
      const r = await ctx.releases.byRevision(req.params.app, req.params.env, req.params.revision);
      return (await ctx.releases.content(r.id)).rendered;
    },
  );

  api.get(
    '/api/v1/apps/:app/envs/:env/releases/:revision/events',
    {
      schema: {
        summary: 'Events of a revision as server-sent events; with follow, until it finishes',
        tags: ['releases'],
        params: RevisionParams,
        querystring: z.object({
          follow: z.coerce.boolean().default(false),
          after: z.coerce.number().int().min(0).default(0),
        }),
      },
    },
    async (req, reply) => {
      const release = await ctx.releases.byRevision(req.params.app, req.params.env, req.params.revision);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      let lastId = req.query.after;
      const queue: EngineUpdate[] = [];
      let wake: (() => void) | undefined;
      const off = ctx.engine.subscribe(release.id, (u) => {
        queue.push(u);
        wake?.();
      });
      const closed = new Promise<void>((resolve) => raw.on('close', resolve));
      try {
        for (const e of await ctx.releases.events(release.id, lastId)) {
          sse(raw, 'event', e, e.id);
          lastId = e.id;
        }
        let current = await ctx.releases.get(release.id);
        let readAtMs = Date.now();
        let waitMs = 2000;
        sse(raw, 'release', current);
        const finished = (s: string): boolean => s === 'succeeded' || s === 'failed';
        while (req.query.follow && !finished(current.status) && !raw.destroyed) {
          await Promise.race([new Promise<void>((r) => (wake = r)), closed, new Promise((r) => setTimeout(r, waitMs))]);
          wake = undefined;
          let published: Release | undefined;
          for (const u of queue.splice(0)) {
            if (u.type === 'event' && u.event.id > lastId) {
              sse(raw, 'event', u.event, u.event.id);
              lastId = u.event.id;
            } else if (u.type === 'release') published = u.release;
          }
          // A status change comes with the release; the steps (which change without one) are read
          // again at most every STEPS_READ_MS: a read per event was a whole release per event, which
          // grew with the square of the app's size (100 services: ~400 events × 100 steps).
          if (published) current = published;
          else if (Date.now() - readAtMs >= STEPS_READ_MS) current = await ctx.releases.get(release.id);
          else {
            // Steps read later: by the next wake, or when STEPS_READ_MS has passed.
            waitMs = Math.max(10, STEPS_READ_MS - (Date.now() - readAtMs));
            continue;
          }
          readAtMs = Date.now();
          waitMs = 2000;
          sse(raw, 'release', current);
        }
      } finally {
        off();
        raw.end();
      }
    },
  );

  api.get(
    '/api/v1/apps/:app/envs/:env/diff',
    {
      schema: {
        summary: 'Differences between two revisions, field by field',
        tags: ['releases'],
        params: AppEnvParams,
        querystring: z.object({ from: z.coerce.number().int().positive(), to: z.coerce.number().int().positive() }),
      },
    },
    async (req) => {
      await requireApp(ctx, req.params.app, req.params.env);
      return ctx.engine.diff(req.params.app, req.params.env, req.query.from, req.query.to);
    },
  );

  api.post(
    '/api/v1/apps/:app/envs/:env/rollback',
    {
      schema: {
        summary: 'Roll back: a new revision with an earlier revision’s content (config version included)',
        tags: ['releases'],
        params: AppEnvParams,
        body: RollbackBody,
      },
    },
    async (req, reply) => {
      const b = req.body;
      const { app, env } = req.params;
      if (await approvalsOf(ctx, env))
        return reply
          .status(202)
          .send(await askFor(req, ctx, { action: 'rollback', app, env, request: b, reason: b.message }));
      await requireAuthorized(ctx.environments, {
        env,
        app,
        action: 'rollback',
        author: authorOf(req),
        confirmed: b.confirmed,
      });
      const release = await ctx.engine.rollback({
        app: req.params.app,
        env: req.params.env,
        author: authorOf(req),
        ...(b.toRevision === undefined ? {} : { toRevision: b.toRevision }),
        ...(b.message === undefined ? {} : { message: b.message }),
        ...waitOptions(b.wait, reply),
      });
      return reply.status(202).send(release);
    },
  );
}
