/**
 * Pipelines (docs/pipelines.md): an app's pipeline (PUT/GET /api/v1/pipelines/{app}), its runs (POST
 * and GET …/runs), one run (GET /api/v1/pipeline-runs/{id}), a step's log (…/steps/{n}/log, followed
 * while the step runs with `follow=1`), and the approval and cancel of a run.
 */
import { open, stat } from 'node:fs/promises';
import { z } from 'zod';
import { UnavailableError } from '../../errors.js';
import type { Pipelines } from '../../pipelines/pipelines.js';
import { definitionYaml } from '../../pipelines/definition.js';
import { dnsLabel } from '../../spec/dnsLabel.js';
import type { ServerContext } from '../context.js';
import { authorOf } from '../identity.js';
import type { Api } from './api.js';

const AppParams = z.object({ app: dnsLabel().describe('App name') });
const RunParams = z.object({ id: z.coerce.number().int().positive().describe('Run id') });
const StepParams = RunParams.extend({
  n: z.coerce.number().int().positive().max(1000).describe('Step number (1-based)'),
});

export const SetPipelineBody = z.object({
  file: z.string().min(1).max(4096).describe("The pipeline file's name, for error messages"),
  text: z.string().describe('The pipeline file (YAML, at most 256 KiB)'),
  variables: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(4096))
    .optional()
    .describe('Values of `${NAME}` in webhook.secret (the CLI sends those its environment has)'),
  webhookSecret: z.string().min(1).max(4096).optional().describe('The webhook secret (instead of webhook.secret)'),
});

export const StartRunBody = z.object({
  commit: z.string().optional().describe("A commit to run (default: the branch's head)"),
  branch: z.string().optional().describe("The branch whose head to run (default: the pipeline's source branch)"),
});

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'skipped']);
/** A followed step's log is read again at least this often (its lines and state changes wake it at once). */
const FALLBACK_MS = 1000;

export function pipelineRoutes(api: Api, ctx: ServerContext): void {
  const pipelines = (): Pipelines => {
    if (!ctx.pipelines) throw new UnavailableError('this control plane runs no pipelines');
    return ctx.pipelines;
  };
  const shown = (app: string) => {
    const info = pipelines().get(app);
    return { ...info, yaml: definitionYaml(info.definition) };
  };

  api.put(
    '/api/v1/pipelines/:app',
    {
      schema: {
        summary: "Set an app's pipeline (a new version); the webhook secret is stored encrypted",
        tags: ['pipelines'],
        params: AppParams,
        body: SetPipelineBody,
      },
    },
    async (req) => {
      const b = req.body;
      pipelines().set(req.params.app, {
        file: b.file,
        text: b.text,
        ...(b.variables ? { variables: b.variables } : {}),
        ...(b.webhookSecret ? { webhookSecret: b.webhookSecret } : {}),
        author: authorOf(req),
      });
      return shown(req.params.app);
    },
  );

  api.get(
    '/api/v1/pipelines/:app',
    {
      schema: {
        summary: "An app's pipeline, and the same as a pipeline file (`yaml`)",
        tags: ['pipelines'],
        params: AppParams,
      },
    },
    async (req) => shown(req.params.app),
  );

  api.post(
    '/api/v1/pipelines/:app/runs',
    {
      schema: {
        summary: "Start a run of an app's pipeline (queued behind the app's run under way)",
        tags: ['pipelines'],
        params: AppParams,
        body: StartRunBody,
      },
    },
    async (req, reply) => {
      const run = pipelines().startRun(req.params.app, {
        trigger: 'manual',
        author: authorOf(req),
        ...(req.body.commit ? { commit: req.body.commit } : {}),
        ...(req.body.branch ? { branch: req.body.branch } : {}),
      });
      return reply.status(201).send(run);
    },
  );

  api.get(
    '/api/v1/pipelines/:app/runs',
    {
      schema: {
        summary: "An app's pipeline runs, newest first: commit, trigger, status and each step's",
        tags: ['pipelines'],
        params: AppParams,
        querystring: z.object({ limit: z.coerce.number().int().positive().max(1000).default(50) }),
      },
    },
    async (req) => pipelines().runs(req.params.app, req.query.limit),
  );

  api.get(
    '/api/v1/pipeline-runs/:id',
    { schema: { summary: 'One pipeline run with its steps', tags: ['pipelines'], params: RunParams } },
    async (req) => pipelines().run(req.params.id),
  );

  api.post(
    '/api/v1/pipeline-runs/:id/approve',
    { schema: { summary: 'Give the approval a run waits for', tags: ['pipelines'], params: RunParams } },
    async (req) => pipelines().approve(req.params.id, authorOf(req)),
  );

  api.post(
    '/api/v1/pipeline-runs/:id/cancel',
    { schema: { summary: 'Cancel a queued, running or waiting run', tags: ['pipelines'], params: RunParams } },
    async (req) => pipelines().cancel(req.params.id, authorOf(req)),
  );

  api.get(
    '/api/v1/pipeline-runs/:id/steps/:n/log',
    {
      schema: {
        summary: "A step's log (text); with follow, streamed until the step ends",
        tags: ['pipelines'],
        params: StepParams,
        querystring: z.object({ follow: z.enum(['1', '0', 'true', 'false']).default('0') }),
      },
    },
    async (req, reply) => {
      const p = pipelines();
      const { id, n } = req.params;
      const file = p.logFile(id, n - 1);
      const follow = req.query.follow === '1' || req.query.follow === 'true';
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      let offset = 0;
      let closed = false;
      raw.on('close', () => (closed = true));
      const copy = async (): Promise<void> => {
        const size = await stat(file).then(
          (s) => s.size,
          () => 0,
        );
        if (size <= offset) return;
        const fh = await open(file, 'r');
        try {
          while (offset < size && !closed) {
            const buf = Buffer.alloc(Math.min(size - offset, 256 * 1024));
            const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
            if (bytesRead === 0) break;
            offset += bytesRead;
            if (!raw.write(buf.subarray(0, bytesRead))) await new Promise((r) => raw.once('drain', r));
          }
        } finally {
          await fh.close();
        }
      };
      // Following: woken by each line the run's steps write and each change of the run's state (the
      // step's end among them), with a slow re-read in case a change came from elsewhere.
      let wake: (() => void) | undefined;
      let dirty = false;
      const poke = () => {
        dirty = true;
        wake?.();
      };
      const stop = follow ? p.watch(id, poke) : undefined;
      raw.on('close', poke);
      try {
        for (;;) {
          // Read the state first: once it says the step ended, one more copy has every line.
          dirty = false;
          const run = p.run(id);
          const ended = FINISHED.has(run.steps[n - 1]?.status ?? 'skipped') || FINISHED.has(run.status);
          await copy();
          if (ended || !follow || closed) break;
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
      } finally {
        stop?.();
        raw.end();
      }
    },
  );
}
