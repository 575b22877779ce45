/** `GET /api/v1/traces/:traceId`: a trace's spans as the gateway recorded them (issue 16, point 2). */
import { z } from 'zod';
import { NotFoundError } from '../../errors.js';
import type { TraceView } from '../../model/trace.js';
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';

const TraceParams = z.object({
  traceId: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, 'a trace id is 32 hex digits (as in traceparent and X-Berth-Trace-Id)')
    .describe('Trace id: 32 hex digits'),
});

export function traceRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/traces/:traceId',
    {
      schema: {
        summary:
          "A trace's spans recorded by the gateway, one per hop (edge or service address), ordered by start: ids and parent, caller and callee service, route, track, method, status, start and duration",
        tags: ['traces'],
        params: TraceParams,
      },
    },
    async (req): Promise<TraceView> => {
      const traceId = req.params.traceId.toLowerCase();
      const spans = ctx.traces?.trace(traceId) ?? [];
      if (spans.length === 0)
        throw new NotFoundError(`no spans of trace ${traceId} are stored (kept for a day; tracing may be off)`, {
          details: { traceId },
        });
      return { traceId, spans };
    },
  );
}
