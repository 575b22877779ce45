/** The words for a gateway listener that cannot listen, shared by converge, applyRoutes and observe. */
import type { ListenerError } from '../../gateway/table.js';

const WHY: Record<string, string> = {
  EADDRINUSE: 'another process uses that port (EADDRINUSE)',
  EACCES: 'permission denied (EACCES)',
  'not listening': 'the gateway could not bind it when it started (see gateway/gateway.log in the Berth home)',
};

/** `the edge of shop/local cannot listen on 127.0.0.1:8080: another process uses that port (EADDRINUSE)`. */
export function listenerProblem(what: string, e: ListenerError): string {
  return `${what} cannot listen on 127.0.0.1:${e.port}: ${WHY[e.message] ?? e.message}`;
}
