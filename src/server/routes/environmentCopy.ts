/**
 * Copying an environment (`POST /api/v1/environments/{to}/copy`) and the config difference between
 * two environments (`GET /api/v1/environments/{from}/config-diff?to=`): secrets copied sealed and
 * compared by digest, never shown.
 */
import { authorize } from '../routePermissions.js';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';
import { authorOf } from '../identity.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { DNS_LABEL } from '../../model/names.js';
import { copiedEnvironment } from '../../environment/environmentCopy.js';
import type { Environment } from '../../environment/environments.js';
import type { AppConfigCopy } from '../../config/configCopy.js';

const appName = z.string().max(63).regex(DNS_LABEL, 'must be an app name: lowercase letters, digits and -');

export const EnvironmentCopyInput = z.strictObject({
  from: z.string().min(1).describe('The environment to copy'),
  apps: z.array(appName).min(1).optional().describe('Only these apps; every app with config in `from` when omitted'),
  intoExisting: z
    .boolean()
    .default(false)
    .describe('Copy config into an environment that exists (its own settings are kept); refused (409) without'),
  force: z
    .boolean()
    .default(false)
    .describe('Replace a config in the target written after the copied version of `from`; refused (409) without'),
  namespace: z
    .string()
    .regex(DNS_LABEL)
    .max(63)
    .optional()
    .describe("A new Kubernetes environment's namespace; default: its name"),
});

/** What a copy answers. */
export interface EnvironmentCopyResult {
  from: string;
  to: string;
  /** Whether the copy created `to`. */
  created: boolean;
  environment: Environment;
  /** What was not copied of `from`'s settings, or how `to` differs. */
  notes: string[];
  apps: AppConfigCopy[];
}

export function environmentCopyRoutes(api: Api, ctx: ServerContext): void {
  api.post(
    '/api/v1/environments/:name/copy',
    {
      schema: {
        summary:
          "Make environment {name} like `from`: its settings (unless it exists: then only with intoExisting) and every app's current config — values, files and secrets, copied sealed — in one transaction",
        tags: ['environments'],
        params: z.object({ name: z.string().describe('The environment to create or copy into') }),
        body: EnvironmentCopyInput,
      },
    },
    async (req, reply) => {
      const to = req.params.name;
      const { from, apps, intoExisting, force, namespace } = req.body;
      if (from === to)
        throw new ValidationError(`cannot copy environment ${from} onto itself`, [
          { file: 'request body', path: 'from', message: `must name another environment than ${to}` },
        ]);
      const source = await ctx.environments.get(from);
      // Every app's config of FROM, secrets included, becomes TO's: as much as reading them there.
      await authorize(req, ctx, 'environments:read', { env: from });
      await authorize(req, ctx, 'secrets:reveal', { env: from });
      const existing = await existingEnvironment(ctx, to);
      if (existing && !intoExisting)
        throw new ConflictError(
          `environment ${to} already exists: pass --into-existing (intoExisting: true) to copy config into it`,
          { details: { env: to } },
        );
      if (existing && namespace !== undefined)
        throw new ValidationError(`environment ${to} exists: its namespace is kept`, [
          { file: 'request body', path: 'namespace', message: 'only for a new environment' },
        ]);
      const made = existing
        ? undefined
        : copiedEnvironment(source, to, { field: 'name', ...(namespace ? { namespace } : {}) });
      const notes = made?.notes ?? [];
      if (existing && existing.target.kind !== source.target.kind)
        notes.push(
          `${to} runs ${where(existing)} and ${from} ${where(source)}: only config is copied, ${to}'s settings are kept`,
        );
      const copied = await ctx.configSets.copyEnvironment({
        from,
        to,
        author: authorOf(req),
        force,
        ...(apps ? { apps } : {}),
        ...(made
          ? { create: { name: to, target: JSON.stringify(made.target), defaults: JSON.stringify(made.defaults) } }
          : {}),
      });
      ctx.logger.info(
        { from, to, apps: copied.map((c) => `${c.app}@${c.fromVersion}:${c.outcome}`) },
        'environment config copied',
      );
      const result: EnvironmentCopyResult = {
        from,
        to,
        created: !existing,
        environment: await ctx.environments.get(to),
        notes,
        apps: copied,
      };
      return reply.status(existing ? 200 : 201).send(result);
    },
  );

  api.get(
    '/api/v1/environments/:name/config-diff',
    {
      schema: {
        summary:
          "Each app's current config difference from environment {name} to `to`: plain values shown, plain files by SHA-256, secrets compared by keyed digest and never shown",
        tags: ['environments', 'config'],
        params: z.object({ name: z.string().describe('The environment compared from') }),
        querystring: z.object({
          to: z.string().min(1).describe('The environment compared to'),
          apps: z
            .string()
            .optional()
            .describe('Comma-separated app names; every app with config in either environment when omitted'),
        }),
      },
    },
    async (req) => {
      const from = req.params.name;
      const { to } = req.query;
      await authorize(req, ctx, 'environments:read', { env: to });
      const apps = req.query.apps
        ?.split(',')
        .map((a) => a.trim())
        .filter((a) => a !== '');
      const bad = (apps ?? []).filter((a) => !appName.safeParse(a).success);
      if (bad.length > 0)
        throw new ValidationError('invalid apps', [
          { file: 'query', path: 'apps', message: `not app names: ${bad.map((b) => JSON.stringify(b)).join(', ')}` },
        ]);
      await ctx.environments.get(from);
      await ctx.environments.get(to);
      return ctx.configSets.compareEnvironments(from, to, apps);
    },
  );
}

const where = (e: Environment): string => (e.target.kind === 'local' ? 'on this machine' : 'on Kubernetes');

async function existingEnvironment(ctx: ServerContext, name: string): Promise<Environment | undefined> {
  try {
    return await ctx.environments.get(name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
