/**
 * Config sets: versions, values, files and secrets of an app in an environment. Writes carry the
 * version they are based on (a stale one gets 409 and changes nothing); secrets are masked unless
 * one is revealed on purpose.
 */
import { z } from 'zod';
import { variableReport } from '../../spec/variableReport.js';
import { resolveVariables } from '../../spec/variables.js';
import type { Variables } from '../apiTypes.js';
import type { ServerContext } from '../context.js';
import { AppEnvParams, ConfigChangeInput, configChangeOf, type Api } from './api.js';
import { authorOf } from '../identity.js';

import { NotFoundError } from '../../errors.js';
import { ownGet } from '../../own.js';
import type { ConfigChange as StoreChange } from '../../config/configSets.js';
import { MASK } from '../../model/mask.js';
import { approvalsOf, askFor } from '../approvalAsk.js';

export const ConfigChange = ConfigChangeInput.extend({
  message: z.string().max(500).optional().describe('Why this change'),
});

/** A config revert's body (also what a revert's approval request carries). */
export const ConfigRevertBody = z.object({
  to: z.number().int().min(0).describe('The version whose content the new version gets'),
  baseVersion: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('The version this revert is based on; a stale one is refused with 409'),
  message: z.string().max(500).optional().describe('Why; default `revert to version N`'),
});

/** The config set write of a PATCH body by `author`: only the parts it sent. */
export function configWriteOf(b: z.infer<typeof ConfigChange>, author: string): StoreChange {
  const { set, unset, files, secretFiles, plainFiles, baseVersion, message } = configChangeOf(b);
  return {
    baseVersion,
    author,
    ...(set ? { set } : {}),
    ...(unset ? { unset } : {}),
    ...(files ? { files } : {}),
    ...(secretFiles ? { secretFiles } : {}),
    ...(plainFiles ? { plainFiles } : {}),
    ...(message === undefined ? {} : { message }),
  };
}

/** One value as shown: a secret masked unless `reveal` (then `revealed` is true, for the log). */
export function shownValue(
  key: string,
  version: number,
  entry: { value: string; secret: boolean },
  reveal: boolean,
): { key: string; version: number; secret: boolean; value: string; revealed: boolean } {
  if (entry.secret && !reveal) return { key, version, secret: true, value: MASK, revealed: false };
  return { key, version, secret: entry.secret, value: entry.value, revealed: entry.secret };
}

/** One config file as shown, with its size in bytes: a secret one masked unless `reveal`. */
export function shownFile(
  path: string,
  version: number,
  file: { content: string; secret: boolean },
  reveal: boolean,
): { path: string; version: number; secret: boolean; size: number; content: string; revealed: boolean } {
  const size = Buffer.byteLength(file.content);
  if (file.secret && !reveal) return { path, version, secret: true, size, content: MASK, revealed: false };
  return { path, version, secret: file.secret, size, content: file.content, revealed: file.secret };
}

export function configRoutes(api: Api, ctx: ServerContext): void {
  const base = '/api/v1/apps/:app/envs/:env/config';

  api.get(
    base,
    {
      schema: {
        summary: 'A config version (current by default), secrets masked',
        tags: ['config'],
        params: AppEnvParams,
        querystring: z.object({ version: z.coerce.number().int().min(0).optional() }),
      },
    },
    async (req) => {
      const { app, env } = req.params;
      await ctx.environments.get(env);
      return ctx.configSets.get(app, env, req.query.version);
    },
  );

  api.patch(
    base,
    {
      schema: {
        summary: 'Change config: a new immutable version',
        tags: ['config'],
        params: AppEnvParams,
        body: ConfigChange,
      },
    },
    async (req, reply) => {
      const { app, env } = req.params;
      if (await approvalsOf(ctx, env)) {
        await ctx.configSets.preview(app, env, configChangeOf(req.body)); // a stale or empty change is refused now
        const ask = { action: 'config' as const, app, env, request: req.body, reason: req.body.message };
        return reply.status(202).send(await askFor(req, ctx, ask));
      }
      const version = await ctx.configSets.write(app, env, configWriteOf(req.body, authorOf(req)));
      return reply.status(201).send(version);
    },
  );

  api.post(
    `${base}/revert`,
    {
      schema: {
        summary: "Revert config: a new version with an earlier version's content (secrets included)",
        tags: ['config'],
        params: AppEnvParams,
        body: ConfigRevertBody,
      },
    },
    async (req, reply) => {
      const { app, env } = req.params;
      if (await approvalsOf(ctx, env)) {
        const ask = { action: 'config-revert' as const, app, env, request: req.body, reason: req.body.message };
        return reply.status(202).send(await askFor(req, ctx, ask));
      }
      const { to, baseVersion, message } = req.body;
      const author = authorOf(req);
      const version = await ctx.configSets.revert(app, env, {
        to,
        author,
        ...(baseVersion === undefined ? {} : { baseVersion }),
        ...(message === undefined ? {} : { message }),
      });
      return reply.status(201).send(version);
    },
  );

  api.get(
    `${base}/history`,
    {
      schema: {
        summary: 'Config versions, newest first, with the keys each changed',
        tags: ['config'],
        params: AppEnvParams,
      },
    },
    async (req) => ctx.configSets.history(req.params.app, req.params.env),
  );

  api.get(
    `${base}/diff`,
    {
      schema: {
        summary: 'Differences between two config versions (secrets masked)',
        tags: ['config'],
        params: AppEnvParams,
        querystring: z.object({ from: z.coerce.number().int().min(0), to: z.coerce.number().int().min(0) }),
      },
    },
    async (req) => ctx.configSets.diff(req.params.app, req.params.env, req.query.from, req.query.to),
  );

  api.get(
    `${base}/values/:key`,
    {
      schema: {
        summary: 'One value; a secret is revealed only with reveal=true',
        tags: ['config'],
        params: AppEnvParams.extend({ key: z.string() }),
        querystring: z.object({
          version: z.coerce.number().int().min(0).optional(),
          reveal: z.enum(['true', 'false']).default('false'),
        }),
      },
    },
    async (req) => {
      const { app, env, key } = req.params;
      const version = req.query.version ?? (await ctx.configSets.current(app, env)).version;
      const resolved = await ctx.configSets.resolve(app, env, version);
      const entry = ownGet(resolved.values, key);
      if (!entry) throw new NotFoundError(`${app}/${env} config version ${version} has no key ${key}`);
      const { revealed, ...shown } = shownValue(key, version, entry, req.query.reveal === 'true');
      if (revealed) ctx.logger.info({ app, env, key, version }, 'secret revealed');
      return shown;
    },
  );

  api.get(
    `${base}/files/*`,
    {
      schema: {
        summary: 'One config file (its path after files/); a secret one is revealed only with reveal=true',
        tags: ['config'],
        params: AppEnvParams.extend({ '*': z.string().describe('The file path') }),
        querystring: z.object({
          version: z.coerce.number().int().min(0).optional(),
          reveal: z.enum(['true', 'false']).default('false'),
        }),
      },
    },
    async (req) => {
      const { app, env, '*': path } = req.params;
      const version = req.query.version ?? (await ctx.configSets.current(app, env)).version;
      const resolved = await ctx.configSets.resolve(app, env, version);
      const file = ownGet(resolved.files, path);
      if (!file) throw new NotFoundError(`${app}/${env} config version ${version} has no file ${path}`);
      const { revealed, ...shown } = shownFile(path, version, file, req.query.reveal === 'true');
      if (revealed) ctx.logger.info({ app, env, file: path, version }, 'secret revealed');
      return shown;
    },
  );

  api.get(
    '/api/v1/apps/:app/envs/:env/variables',
    {
      schema: {
        summary:
          "The variables of the app's latest berth.yaml: value in force and its source (config, environment, default), the services that use each, the used ones without a value, and config keys no field uses; secrets masked",
        tags: ['config'],
        params: AppEnvParams,
      },
    },
    async (req): Promise<Variables> => {
      const { app, env } = req.params;
      const environment = await ctx.environments.get(env);
      const [last] = await ctx.releases.list(app, env, 1);
      if (!last) throw new NotFoundError(`${app} has never been deployed to ${env}: its berth.yaml is not known here`);
      const [{ spec }, config] = await Promise.all([ctx.releases.content(last.id), ctx.configSets.get(app, env)]);
      const values = resolveVariables(spec, { config: config.values, environment: environment.defaults });
      return {
        app,
        env,
        revision: last.revision,
        configVersion: config.version,
        variables: variableReport(spec, values),
      };
    },
  );
}
