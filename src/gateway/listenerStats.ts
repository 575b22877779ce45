/** The request counters of one gateway listener, shared by the proxy's exchanges. */

/** Counters of one listener; plain integers so counting costs nothing measurable. */
export interface ListenerStats {
  requests: number;
  /** Responses with status >= 500, including the gateway's own 502/503/504. */
  errors: number;
  inFlight: number;
  /** Requests sent per backend id. */
  backends: Map<string, number>;
}

/** Fresh zeroed counters. */
export function newListenerStats(): ListenerStats {
  return { requests: 0, errors: 0, inFlight: 0, backends: new Map() };
}
