/** What the webhook routes answer, for the OpenAPI document (openapi.ts). */
import { z } from 'zod';

export const HookAnswer = z
  .object({
    deliveryId: z.string().describe("The provider's delivery id"),
    runId: z.string().optional().describe('The pipeline run the delivery started (202)'),
    ignored: z
      .string()
      .optional()
      .describe(
        'Why nothing was started (200): a ping, an event or action Berth does not act on, or the pipeline’s reason',
      ),
  })
  .loose()
  .meta({ id: 'HookAnswer', description: 'What a webhook delivery came to' });

export const HookDeliveryList = z
  .array(
    z
      .object({
        id: z.number().int(),
        provider: z.enum(['github', 'gitlab', 'gitea']),
        app: z.string(),
        deliveryId: z.string().optional(),
        receivedAt: z.string(),
        event: z.string().optional().describe('The event header’s value'),
        status: z.number().int().describe('The HTTP status answered to the provider'),
        outcome: z.enum(['received', 'triggered', 'ignored', 'ping', 'refused', 'replay', 'failed']),
        detail: z.string().optional(),
        runId: z.string().optional(),
        ref: z.string().optional(),
        commit: z.string().optional(),
      })
      .loose(),
  )
  .meta({ id: 'HookDeliveryList', description: 'Webhook deliveries, newest first, refused ones too' });
