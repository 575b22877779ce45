/** What the gateway says of its listeners: the ones that could not bind, and their counters. */

/** A port the gateway could not bind, as reported in the `PUT /table` response (declared beside the table). */
export type { ListenerError } from './table.js';

/** Per-listener counters as `GET /stats` reports them. */
export interface ListenerStatsJSON {
  /** `tcp`: an L4 listener (`requests` counts its connections). */
  kind: 'service' | 'edge' | 'tcp';
  key: string;
  port: number;
  requests: number;
  errors: number;
  inFlight: number;
  backends: Record<string, number>;
}
