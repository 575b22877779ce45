/** Health, version, shutdown, validation and the berth.yaml JSON Schema. */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { SpecInput, type Api } from './api.js';
import { specJSONSchema } from '../../spec/jsonschema.js';
import { createSpecChecker } from '../specCheck.js';

export function systemRoutes(api: Api, ctx: ServerContext): void {
  // Validation runs on a worker thread: a large spec with problems takes seconds to check.
  const checker = createSpecChecker();
  api.addHook('onClose', async () => checker.close());

  api.get(
    '/healthz',
    { schema: { summary: 'Liveness of the control plane (no token needed)', tags: ['system'] } },
    async () => ({ ok: true }),
  );

  api.get(
    '/api/v1/info',
    {
      schema: {
        summary:
          'Version, data directory, the data plane of the gateway and why, and where the background warm-up of the render path is',
        tags: ['system'],
      },
    },
    async () => ({
      version: ctx.version,
      home: ctx.home,
      pid: process.pid,
      ...(ctx.dataPlane ? { dataPlane: ctx.dataPlane } : {}),
      ...(ctx.renderWarmup ? { renderWarmup: ctx.renderWarmup() } : {}),
    }),
  );

  api.post(
    '/api/v1/shutdown',
    {
      schema: {
        summary:
          'Stop the control plane gracefully; running services keep running. The gateway stops too when stopGateway is true, and by default when no app runs on this machine',
        tags: ['system'],
        body: z
          .object({
            stopGateway: z
              .boolean()
              .optional()
              .describe(
                'true: stop the gateway (and so every service address and edge); false: keep it; default: stop it when no app runs',
              ),
          })
          .default({}),
      },
    },
    async (req, reply) => {
      await reply.status(202).send({ ok: true });
      const { stopGateway } = req.body;
      setImmediate(() => void ctx.shutdown(stopGateway === undefined ? {} : { stopGateway }));
    },
  );

  api.post(
    '/api/v1/validate',
    { schema: { summary: 'Validate a berth.yaml; lists every problem', tags: ['system'], body: SpecInput } },
    async (req) => {
      const outcome = await checker.check(req.body);
      return outcome.ok ? { ...outcome, problems: [] } : outcome;
    },
  );

  api.get('/api/v1/schema', { schema: { summary: 'JSON Schema of berth.yaml', tags: ['system'] } }, async () =>
    specJSONSchema(),
  );
}
