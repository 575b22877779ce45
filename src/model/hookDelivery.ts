/** One webhook delivery as `GET /api/v1/hooks/deliveries` and `berth hooks deliveries` show it. */

/**
 * What a delivery came to: `triggered` a pipeline run, `ignored` (an event or action Berth does not act
 * on, or the pipeline's own reason), `ping`, `refused` (bad signature or token, a missing header, a bad
 * or oversized payload), `replay` (its id was taken already), `failed` (the pipeline could not take it),
 * or `received` (taken, the pipeline not answered yet).
 */
export type HookDeliveryOutcome = 'received' | 'triggered' | 'ignored' | 'ping' | 'refused' | 'replay' | 'failed';

export interface HookDelivery {
  id: number;
  /** `github`, `gitlab` or `gitea` (Forgejo's deliveries are `gitea`'s). */
  provider: string;
  app: string;
  /** The provider's delivery id, when the request gave one. */
  deliveryId?: string;
  receivedAt: string;
  /** The event header's value (`push`, `pull_request`, `Merge Request Hook`). */
  event?: string;
  /** The HTTP status answered to the provider. */
  status: number;
  outcome: HookDeliveryOutcome;
  /** Why it was refused or ignored, or what failed. */
  detail?: string;
  runId?: string;
  ref?: string;
  commit?: string;
}
