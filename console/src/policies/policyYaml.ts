/**
 * A traffic policy between the API's form (normalised, milliseconds) and the berth.yaml form people
 * edit (`timeout: 2s`, `errorRate: 50%`, `backoff: 25ms`), and YAML text read back with the line
 * and column of a syntax error.
 */
import { parseDocument, stringify } from 'yaml';
import type { Problem, TrafficPolicy } from '../api/types';
import { formatDuration } from '../../../src/model/durations.js';

/** A share as berth.yaml writes it (`50%`), or the plain fraction when a percentage would round it. */
function formatShare(share: number): number | string {
  const percent = Number((share * 100).toFixed(6));
  return percent > 0 && Math.abs(percent / 100 - share) < 1e-12 ? `${percent}%` : share;
}

/** The berth.yaml form of a policy as the API returns it: what `policy:` of a service or route holds. */
export function policyToSpec(p: TrafficPolicy): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.rateLimit) out.rateLimit = { requestsPerSecond: p.rateLimit.requestsPerSecond, burst: p.rateLimit.burst };
  if (p.timeoutMs !== undefined) out.timeout = formatDuration(p.timeoutMs);
  if (p.retries)
    out.retries = {
      attempts: p.retries.attempts,
      onStatus: p.retries.onStatus,
      backoff: formatDuration(p.retries.backoffMs),
    };
  if (p.circuitBreaker) {
    const c = p.circuitBreaker;
    out.circuitBreaker = {
      ...(c.consecutiveFailures === undefined ? {} : { consecutiveFailures: c.consecutiveFailures }),
      ...(c.errorRate === undefined ? {} : { errorRate: formatShare(c.errorRate) }),
      minRequests: c.minRequests,
      window: formatDuration(c.windowMs),
      openFor: formatDuration(c.openMs),
      halfOpenRequests: c.halfOpenRequests,
    };
  }
  if (p.fallback)
    out.fallback = { status: p.fallback.status, body: p.fallback.body, contentType: p.fallback.contentType };
  return out;
}

/** The YAML text of a policy for the editor; empty for none. */
export function policyToYaml(p: TrafficPolicy | null): string {
  return p ? stringify(policyToSpec(p)) : '';
}

/** What the editor's text says: a policy to send, or the problems of text that is not YAML. */
export type ParsedPolicy = { ok: true; policy: unknown } | { ok: false; problems: Problem[] };

/**
 * Reads the editor's text. Empty text (or only comments) means no policy; anything else is sent as
 * it is, so the control plane's validation names the field of each problem.
 */
export function parsePolicyYaml(text: string): ParsedPolicy {
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path: 'policy',
        // the line and column go in their own fields
        message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
        ...(e.linePos?.[0] ? { line: e.linePos[0].line, column: e.linePos[0].col } : {}),
      })),
    };
  const value: unknown = doc.toJS();
  return { ok: true, policy: value ?? null };
}
