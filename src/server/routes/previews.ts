/**
 * Preview environments over the API (docs/previews.md): the list, opening one by hand (or renewing
 * it), and closing one. The pipelines open and close them through the same Previews.
 */
import { visibleTo } from '../visibility.js';
import { authorize } from '../routePermissions.js';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';
import { authorOf } from '../identity.js';
import { NotFoundError, UnavailableError, ValidationError } from '../../errors.js';
import { DNS_LABEL } from '../../model/names.js';
import { parseDurationMs } from '../../spec/units.js';
import type { Previews } from '../../previews/previews.js';
import { DEFAULT_PREVIEW_TTL_MS, MAX_PREVIEW_TTL_MS } from '../../previews/previews.js';
import { branchKey } from '../../previews/previewNames.js';

const label = z.string().max(63).regex(DNS_LABEL, 'lowercase letters, digits and -');

export const PreviewOpenInput = z
  .strictObject({
    app: label.describe('The app the preview is for'),
    key: label.optional().describe("The preview's key (`pr-12`); give it or `branch`"),
    branch: z.string().min(1).max(255).optional().describe('A branch: its name made a DNS label is the key'),
    template: label.describe("The environment the preview is made like (its settings and the app's config)"),
    ttl: z
      .string()
      .max(32)
      .optional()
      .describe('Time to live after this open (`30m`, `72h`); default 72h, at most 2160h (90 days)'),
  })
  .describe('A preview environment to open, or to renew when it is open');

function previewsOf(ctx: ServerContext): Previews {
  if (!ctx.previews) throw new UnavailableError('this control plane keeps no preview environments');
  return ctx.previews;
}

export function previewRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/previews',
    {
      schema: {
        summary: 'Preview environments (of one app), newest first; closed ones only with closed=true',
        tags: ['previews'],
        querystring: z.object({
          app: label.optional().describe("Only this app's previews"),
          closed: z.enum(['true', 'false']).optional().describe('Also the closed ones (with why they were closed)'),
        }),
      },
    },
    async (req) => {
      const visible = await visibleTo(req, ctx, 'previews:read');
      const all = await previewsOf(ctx).list({
        ...(req.query.app ? { app: req.query.app } : {}),
        closed: req.query.closed === 'true',
      });
      return all.filter((p) => visible({ app: p.app }));
    },
  );

  api.post(
    '/api/v1/previews',
    {
      schema: {
        summary:
          "Open a preview environment `<template>-<key>` like `berth env copy` (the template's settings and the app's config, in one transaction), or renew its time to live when it is open",
        tags: ['previews'],
        body: PreviewOpenInput,
      },
    },
    async (req, reply) => {
      const { app, key, branch, template, ttl } = req.body;
      if ((key === undefined) === (branch === undefined))
        throw new ValidationError('give the preview a key or a branch', [
          { file: 'request body', path: key === undefined ? 'key' : 'branch', message: 'give one of key and branch' },
        ]);
      const ttlMs = ttl === undefined ? DEFAULT_PREVIEW_TTL_MS : parseDurationMs(ttl);
      if (ttlMs === undefined || ttlMs <= 0 || ttlMs > MAX_PREVIEW_TTL_MS)
        throw new ValidationError(`invalid time to live ${JSON.stringify(ttl)}`, [
          {
            file: 'request body',
            path: 'ttl',
            message: 'must be a duration longer than 0 and at most 2160h (90 days), e.g. 30m or 72h',
          },
        ]);
      // The preview is made like TEMPLATE, with the app's config there: reading it there too.
      await authorize(req, ctx, 'apps:read', { app, env: template });
      const p = await previewsOf(ctx).open({
        app,
        key: key ?? branchKey(branch!),
        template,
        ttlMs,
        author: authorOf(req),
      });
      return reply.status(p.createdAt === p.updatedAt ? 201 : 200).send(p);
    },
  );

  api.get(
    '/api/v1/previews/:app/:key',
    {
      schema: {
        summary: 'One preview environment (closed ones too)',
        tags: ['previews'],
        params: z.object({ app: z.string(), key: z.string() }),
      },
    },
    async (req) => previewsOf(ctx).get(req.params.app, req.params.key),
  );

  api.delete(
    '/api/v1/previews/:app/:key',
    {
      schema: {
        summary:
          'Close a preview environment: take down what runs there, delete the environment; answers it closed (again: as it was closed)',
        tags: ['previews'],
        params: z.object({ app: z.string(), key: z.string() }),
        querystring: z.object({
          reason: z.string().min(1).max(200).optional().describe('Why it is closed (default `by hand`)'),
        }),
      },
    },
    async (req) => {
      const { app, key } = req.params;
      const closed = await previewsOf(ctx).closePreview(app, key, req.query.reason ?? 'by hand');
      if (!closed) throw new NotFoundError(`${app} has no preview ${key} (berth preview list --app ${app})`);
      return closed;
    },
  );
}
