/** `GET /metrics`: Prometheus text format (needs the token, like every route but the health check). */
import type { ServerContext } from '../context.js';
import { createMetrics } from '../metrics.js';
import type { Api } from './api.js';

export function metricsRoutes(api: Api, ctx: ServerContext): void {
  const metrics = createMetrics(ctx);
  api.get(
    '/metrics',
    {
      schema: {
        summary:
          'Prometheus metrics: requests, errors and latency per app, service and track; releases; replicas and restarts',
        tags: ['system'],
      },
    },
    async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()),
  );
}
