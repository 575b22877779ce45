/**
 * Which track a request goes to when a service has a traffic split: a header or cookie match
 * (A/B) sends it to the canary whatever the weight; otherwise the canary gets `canaryWeight`
 * percent of requests at random (as Envoy's weighted clusters do: no per-client stickiness).
 */
import type { IncomingMessage } from 'node:http';
import type { TrafficMatch, TrafficSplit } from '../model/routing.js';

/** The value of cookie `name` in a Cookie header, or undefined (no decoding: values are compared as sent). */
export function cookieValue(header: string, name: string): string | undefined {
  const len = header.length;
  let i = 0;
  while (i < len) {
    while (isSpace(header.charCodeAt(i))) i++;
    let end = header.indexOf(';', i);
    if (end === -1) end = len;
    // Compared in place: only the matching cookie's value is sliced out.
    if (header.startsWith(name, i)) {
      let j = i + name.length;
      while (j < end && isSpace(header.charCodeAt(j))) j++;
      if (header.charCodeAt(j) === 0x3d /* = */) {
        let value = header.slice(j + 1, end).trim();
        if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
        return value;
      }
    }
    i = end + 1;
  }
  return undefined;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Whether `req` carries the header or cookie value of `match` (header names are lower case). */
export function matchesRequest(match: TrafficMatch, req: IncomingMessage): boolean {
  if ('header' in match) {
    // Own keys only: a header named `constructor` must not find Object.prototype's.
    const v = Object.hasOwn(req.headers, match.header) ? req.headers[match.header] : undefined;
    return typeof v === 'string' ? v === match.value : v !== undefined && v.includes(match.value);
  }
  const cookie = req.headers.cookie;
  return cookie !== undefined && cookieValue(cookie, match.cookie) === match.value;
}

/** Whether `req` should go to the canary track under `split`. */
export function wantsCanary(split: TrafficSplit, req: IncomingMessage): boolean {
  if (split.match !== undefined && matchesRequest(split.match, req)) return true;
  // Math.random() < 1 always, so weight 100 always picks the canary and weight 0 never does.
  return split.canaryWeight > 0 && Math.random() * 100 < split.canaryWeight;
}

/** The split as the balancer keeps it: undefined when it can never pick the canary (the cheap path). */
export function effectiveSplit(split: TrafficSplit | undefined): TrafficSplit | undefined {
  if (split === undefined || (split.canaryWeight <= 0 && split.match === undefined)) return undefined;
  return split;
}
