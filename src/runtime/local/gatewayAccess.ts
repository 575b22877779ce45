/**
 * How the local runtime reaches its gateway process: started (or adopted) once, a failed start
 * retried by the next caller; one counters reading shared by the callers that ask at the same time;
 * and a retry of the listeners it could not bind, at most every few seconds.
 */
import type { Logger } from 'pino';
import type { GatewayControl, ServiceTraffic } from '../../gateway/table.js';

/** How often listeners that could not bind are retried at the most. */
const LISTENER_RETRY_MS = 2_000;

/** The local runtime's side of its gateway process. */
export class GatewayAccess {
  private started: Promise<void> | undefined;
  private reading: Promise<ServiceTraffic[]> | undefined;
  private lastListenerRetryMs = 0;
  private readonly gateway: GatewayControl;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(gateway: GatewayControl, logger: Logger, now: () => number) {
    this.gateway = gateway;
    this.logger = logger;
    this.now = now;
  }

  /** Starts (or adopts) the gateway process once; a failed start is retried by the next caller. */
  ready(): Promise<void> {
    if (!this.started) {
      const p = this.gateway.ensureRunning();
      this.started = p;
      p.catch(() => {
        if (this.started === p) this.started = undefined;
      });
    }
    return this.started;
  }

  /**
   * The gateway's counters of every service. Callers asking at the same time share one reading (a
   * metrics scrape asks for a service's tracks, routes and policy together), and a finished reading
   * is never reused, so nobody sees counters older than their own call (a reading the gateway
   * answers "unchanged" for, a 304 on its ETag, is a reading of now).
   */
  traffic(): Promise<ServiceTraffic[]> {
    if (!this.reading) {
      const reading = this.gateway.traffic();
      this.reading = reading;
      const clear = (): void => {
        if (this.reading === reading) this.reading = undefined;
      };
      reading.then(clear, clear);
    }
    return this.reading;
  }

  /** Asks the gateway to bind what it could not (a port freed since); at most every few seconds. */
  retryListeners(): void {
    const now = this.now();
    if (now - this.lastListenerRetryMs < LISTENER_RETRY_MS) return;
    this.lastListenerRetryMs = now;
    this.gateway
      .update(() => undefined)
      .catch((err: unknown) => this.logger.warn({ err }, 'retrying the gateway listeners failed'));
  }
}
