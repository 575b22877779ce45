/** What the trace routes answer besides a trace's spans (responseSchemas.ts), for the OpenAPI document. */
import { z } from 'zod';

/** `GET …/traces`: the recent traces of an app. */
export const TraceList = z
  .object({
    traces: z.array(
      z
        .object({
          traceId: z.string(),
          startMs: z.number().describe('The first span’s start, epoch milliseconds'),
          durationMs: z.number().describe('From the first span’s start to the last span’s end'),
          spans: z.number().int(),
          services: z.array(z.string()).describe('Services reached (app/env/service), in the order first reached'),
          error: z.boolean().describe('Whether any span failed'),
          root: z
            .object({
              kind: z.enum(['edge', 'service']),
              edge: z.string().optional(),
              route: z.string().optional(),
              service: z.string().optional(),
              method: z.string(),
              status: z.number().int(),
              error: z.boolean(),
            })
            .loose()
            .describe('The earliest span: where the request entered'),
        })
        .loose(),
    ),
    truncated: z.boolean().describe('More traces matched than the limit: narrow the query to see older ones'),
  })
  .loose();
