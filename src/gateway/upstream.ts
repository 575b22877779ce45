/** A backend of a service as the proxy sends to it: its address and keep-alive pool. */
import type { Pool } from 'undici';

/** One backend with its keep-alive connection pool. */
export interface Upstream {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly origin: string;
  readonly pool: Pool;
}
