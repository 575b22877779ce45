/**
 * Builds (docs/builds.md): start one (`POST /api/v1/builds`, answered with its id at once), list
 * them, read one (each service's result), and its log (`?follow=1` streams it until the build ends).
 */
import { visibleTo } from '../visibility.js';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { SpecInput, type Api } from './api.js';
import { authorOf } from '../identity.js';
import { UnavailableError } from '../../errors.js';
import { buildOf, buildOrder } from '../../build/builds.js';
import { sentSpec } from './releases.js';
import { dnsLabel } from '../../spec/dnsLabel.js';
import { checkedCommit } from '../../build/commit.js';
import type { LoadedSpec } from '../../spec/load.js';

export const BuildBody = z.strictObject({
  app: dnsLabel().describe('The app to build'),
  env: dnsLabel().default('local').describe('The environment the build is for (its registry, its builds)'),
  spec: SpecInput.describe('The berth.yaml: the build contexts are relative to its folder on this machine'),
  services: z.array(z.string().min(1)).optional().describe('Only these services; every one with `build:` when omitted'),
  commit: z.string().min(1).max(128).optional().describe('The commit built; default git HEAD of the berth.yaml folder'),
  noCache: z.boolean().default(false).describe('Build even when an earlier build had the same context'),
});

const IdParams = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, 'a build id')
    .describe('Build id'),
});
/** The log is read again at least this often while a followed build runs (lines and the end wake it at once). */
const FALLBACK_MS = 1000;

export function buildRoutes(api: Api, ctx: ServerContext): void {
  const builds = () => {
    if (!ctx.builds) throw new UnavailableError('this control plane runs no builds');
    return ctx.builds;
  };

  api.post(
    '/api/v1/builds',
    {
      schema: {
        summary: 'Build the services of an app that have `build:` (or the ones named), in dependency order',
        tags: ['builds'],
        body: BuildBody,
      },
    },
    async (req, reply) => {
      const b = req.body;
      const { run } = builds();
      const loaded = sentSpec({ spec: b.spec, app: b.app }) as LoadedSpec;
      await ctx.environments.get(b.env);
      const services = buildOrder(loaded, b.services);
      const started = await run.start({
        app: b.app,
        env: b.env,
        dir: dirname(loaded.file),
        spec: loaded,
        ...(b.services ? { services: b.services } : {}),
        ...(b.commit === undefined ? {} : { commit: checkedCommit(b.commit) }),
        author: authorOf(req),
        noCache: b.noCache,
      });
      const summary = await builds().store.get(started.id);
      return reply
        .status(202)
        .send({ id: started.id, app: b.app, env: b.env, commit: summary?.commit ?? '', services });
    },
  );

  api.get(
    '/api/v1/builds',
    {
      schema: {
        summary: 'Builds, newest first',
        tags: ['builds'],
        querystring: z.object({
          app: dnsLabel().optional(),
          env: dnsLabel().optional(),
          limit: z.coerce.number().int().positive().max(500).default(50),
        }),
      },
    },
    async (req) => {
      const visible = await visibleTo(req, ctx, 'builds:read');
      return (await builds().store.list(req.query)).filter((b) => visible({ app: b.app, env: b.env }));
    },
  );

  api.get(
    '/api/v1/builds/:id',
    { schema: { summary: "A build: each service's result", tags: ['builds'], params: IdParams } },
    async (req) => buildOf(builds().store, req.params.id),
  );

  api.get(
    '/api/v1/builds/:id/log',
    {
      schema: {
        summary: 'The log of a build; with follow, streamed until the build ends',
        tags: ['builds'],
        params: IdParams,
        querystring: z.object({ follow: z.enum(['0', '1', 'true', 'false']).default('0') }),
      },
    },
    async (req, reply) => {
      const { store } = builds();
      const first = await buildOf(store, req.params.id);
      const follow = req.query.follow === '1' || req.query.follow === 'true';
      const file = first.services[0]!.logFile;
      reply.hijack();
      const raw = reply.raw;
      let closed = false;
      raw.on('close', () => (closed = true));
      raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      let offset = 0;
      let rest = '';
      const send = async (lines: string[]): Promise<void> => {
        if (lines.length === 0) return;
        const text = lines.map((line) => `${JSON.stringify({ line })}\n`).join('');
        if (!raw.write(text)) await new Promise((r) => raw.once('drain', r));
      };
      const drain = async (): Promise<void> => {
        const fh = await open(file, 'r').catch(() => undefined);
        if (!fh) return;
        try {
          const buf = Buffer.alloc(64 * 1024);
          for (;;) {
            const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
            if (bytesRead === 0) break;
            offset += bytesRead;
            const parts = (rest + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
            rest = parts.pop()!;
            await send(parts);
          }
        } finally {
          await fh.close();
        }
      };
      // Following: woken by each line the build writes and by its end (not by the store's status, which
      // reads `succeeded` between one service's end and the next one's start).
      let wake: (() => void) | undefined;
      let dirty = false;
      const poke = () => {
        dirty = true;
        wake?.();
      };
      const watch = follow ? builds().run.watch(req.params.id, poke) : undefined;
      let ended = watch === undefined;
      void watch?.done.then(() => {
        ended = true;
        poke();
      });
      raw.on('close', poke);
      try {
        for (;;) {
          // Read whether it ended before the file: what was written before it ended is then read too.
          const last = ended;
          dirty = false;
          await drain();
          if (last || closed) break;
          if (!dirty)
            await new Promise<void>((r) => {
              const timer = setTimeout(r, FALLBACK_MS);
              wake = () => {
                clearTimeout(timer);
                r();
              };
            });
          wake = undefined;
        }
        await send(rest ? [rest] : []);
      } finally {
        watch?.stop();
        raw.end();
      }
    },
  );
}
