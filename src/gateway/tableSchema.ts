/**
 * The zod schema of the routing table the gateway accepts on `PUT /table` and loads from
 * `table.json`: the schema is checked at that boundary so a bad table never reaches a listener.
 */
import { isIPv4 } from 'node:net';
import { z } from 'zod';
import type { Problem } from '../errors.js';
import { ValidationError } from '../errors.js';
import type { TrafficMatch } from '../model/routing.js';
import type { RoutingTable } from './table.js';
import { DNS_LABEL } from '../model/names.js';

const port = z.number().int().min(1).max(65535).describe('TCP port on 127.0.0.1');

const trackSchema = z.enum(['stable', 'canary']).describe('the service track of the replica (stable when absent)');

const backendSchema = z.object({
  id: z.string().min(1).describe('replica id, stable for the life of the replica'),
  host: z.string().min(1).describe('address the replica listens on'),
  port,
  track: trackSchema.optional(),
});

// RFC 9110 token: what a header or cookie name may consist of.
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const matchSchema = z
  .object({
    header: z
      .string()
      .regex(token, 'must be a header name')
      .transform((h) => h.toLowerCase())
      .optional()
      .describe('request header whose value selects the canary (case-insensitive name)'),
    cookie: z
      .string()
      .regex(token, 'must be a cookie name')
      .optional()
      .describe('cookie whose value selects the canary'),
    value: z.string().min(1, 'must not be empty').describe('exact value that selects the canary'),
  })
  .strict()
  .superRefine((m, ctx) => {
    if ((m.header === undefined) === (m.cookie === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of header or cookie' });
  })
  .transform((m): TrafficMatch =>
    m.header !== undefined ? { header: m.header, value: m.value } : { cookie: m.cookie!, value: m.value },
  )
  .describe('requests carrying this header or cookie value go to the canary whatever the weight (A/B)');

const splitSchema = z
  .object({
    canaryWeight: z.number().int().min(0).max(100).describe('percent of requests (0-100) sent to the canary track'),
    match: matchSchema.optional(),
  })
  .describe('how requests split between the stable and canary backends (all to stable when absent)');

const positiveInt = z.number().int().positive();
const positiveMs = z.number().positive();
const statusCode = z
  .number()
  .int()
  .min(100, 'must be an HTTP status (100-599)')
  .max(599, 'must be an HTTP status (100-599)');

const policySchema = z
  .object({
    rateLimit: z
      .object({
        requestsPerSecond: z.number().positive().describe('tokens added per second'),
        burst: z.number().int().min(1, 'must be at least 1').describe('tokens the bucket holds (it starts full)'),
      })
      .optional()
      .describe('token bucket; over it, 429 with Retry-After'),
    timeoutMs: positiveMs.optional().describe("longest wait for a replica's response headers; then 504 (or a retry)"),
    retries: z
      .object({
        attempts: positiveInt.describe('extra tries at most'),
        onStatus: z.array(statusCode).describe('answers that are retried like a connection failure'),
        backoffMs: z.number().min(0).describe('wait between tries'),
      })
      .optional()
      .describe('retries of idempotent requests on another replica'),
    circuitBreaker: z
      .object({
        consecutiveFailures: positiveInt.optional().describe('failures in a row that open the circuit'),
        errorRate: z.number().min(0).max(1).optional().describe('failure ratio (0-1) over windowMs that opens it'),
        minRequests: positiveInt.describe('requests in the window before errorRate counts'),
        windowMs: positiveMs.describe('sliding window of errorRate'),
        openMs: positiveMs.describe('how long the circuit stays open before probing'),
        halfOpenRequests: positiveInt.describe('probe requests let through when half-open'),
      })
      .superRefine((c, ctx) => {
        if (c.consecutiveFailures === undefined && c.errorRate === undefined)
          ctx.addIssue({ code: 'custom', message: 'give consecutiveFailures, errorRate or both' });
      })
      .optional()
      .describe('opens on failures (5xx, timeouts, connection failures); answers with the fallback while open'),
    fallback: z
      .object({
        status: statusCode,
        body: z.string(),
        contentType: z.string().min(1, 'must not be empty'),
      })
      .optional()
      .describe('the answer while the circuit is open or no replica is ready'),
  })
  .describe('traffic policy enforced by the proxy');

const serviceSchema = z.object({
  key: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+\/[^/\s]+$/, 'must be app/env/service')
    .describe('app/env/service'),
  port,
  backends: z.array(backendSchema).describe('ready replicas'),
  split: splitSchema.optional(),
  policy: policySchema.optional(),
});

const tcpSchema = z.object({
  key: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+\/[^/\s]+$/, 'must be app/env/service')
    .describe('app/env/service'),
  name: z
    .string()
    .regex(DNS_LABEL, 'must be a port name (lowercase letters, digits and `-`)')
    .describe("the service's port name"),
  port,
  backends: z.array(backendSchema).describe('ready replicas, each at its port of this name'),
  graceMs: z.number().int().min(0).describe('how long the open connections of a backend that leaves are kept'),
});

/**
 * Route text the proxies take as it is (HAProxy's config quotes it, and no URL path or host holds a
 * space, a quote or `#`): berth.yaml checks routes more strictly, this keeps any table.json honest.
 */
const PLAIN_TEXT = /^[^\s'"#\\]+$/;

const routeSchema = z.object({
  host: z
    .string()
    .regex(PLAIN_TEXT, 'must have no space, quote or `#`')
    .optional()
    .describe('host to match (case-insensitive, port ignored); `*.shop.local` matches one more label'),
  pathPrefix: z
    .string()
    .startsWith('/', 'must start with /')
    .regex(PLAIN_TEXT, 'must have no space, quote or `#`')
    .describe('path prefix, matched at a segment boundary'),
  target: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+\/[^/\s]+$/, 'must be app/env/service')
    .describe('app/env/service whose backends serve the route'),
  stripPrefix: z.boolean().describe('remove the prefix before forwarding'),
  policy: policySchema.optional().describe("the route's policy; its fields override the target service's"),
});

const tlsSchema = z.object({
  port,
  redirect: z.boolean().describe('the HTTP port answers 308 with the https:// URL'),
  certificates: z
    .array(
      z.object({
        hosts: z.array(z.string().regex(PLAIN_TEXT, 'must have no space, quote or `#`')).min(1),
        certFile: z.string().startsWith('/', 'must be an absolute path').describe('PEM certificate (chain) file'),
        keyFile: z.string().startsWith('/', 'must be an absolute path').describe('PEM private key file'),
      }),
    )
    .min(1, 'an HTTPS edge needs a certificate')
    .describe('certificates picked by SNI; the first is the default'),
});

const edgeSchema = z.object({
  key: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+$/, 'must be app/env')
    .describe('app/env'),
  port,
  routes: z.array(routeSchema),
  tls: tlsSchema.optional().describe('HTTPS on a second port'),
});

/** A unicast IPv4 address other than loopback: where service addresses also listen for containers. */
const serviceHost = z
  .string()
  .refine((h) => isIPv4(h) && h !== '0.0.0.0' && h !== '255.255.255.255' && !h.startsWith('127.'), {
    message: 'must be an IPv4 address that is neither a wildcard, broadcast nor loopback',
  })
  .describe('an address besides 127.0.0.1 where service addresses listen (a container bridge)');

/** Schema of a RoutingTable, with the cross-field checks (unique keys, ports, backend ids). */
export const routingTableSchema = z
  .object({
    generation: z.number().int().min(0).describe('increases with every change'),
    services: z.array(serviceSchema),
    edges: z.array(edgeSchema),
    tcp: z.array(tcpSchema).optional().describe('L4 addresses of service ports'),
    serviceHosts: z
      .array(serviceHost)
      .optional()
      .describe('addresses besides 127.0.0.1 where service addresses listen too (never edges)'),
  })
  .superRefine((t, ctx) => {
    const ports = new Map<number, string>();
    const claimPort = (p: number, path: (string | number)[]): void => {
      const owner = ports.get(p);
      if (owner !== undefined) ctx.addIssue({ code: 'custom', path, message: `port ${p} is already used by ${owner}` });
      else ports.set(p, path.slice(0, 2).join('.'));
    };
    const keys = new Set<string>();
    t.services.forEach((s, i) => {
      if (keys.has(s.key))
        ctx.addIssue({ code: 'custom', path: ['services', i, 'key'], message: `duplicate key ${s.key}` });
      keys.add(s.key);
      claimPort(s.port, ['services', i, 'port']);
      const ids = new Set<string>();
      s.backends.forEach((b, j) => {
        if (ids.has(b.id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'backends', j, 'id'],
            message: `duplicate backend id ${b.id}`,
          });
        }
        ids.add(b.id);
      });
    });
    const tcpIds = new Set<string>();
    (t.tcp ?? []).forEach((l, i) => {
      const id = `${l.key}:${l.name}`;
      if (tcpIds.has(id)) ctx.addIssue({ code: 'custom', path: ['tcp', i, 'name'], message: `duplicate port ${id}` });
      tcpIds.add(id);
      claimPort(l.port, ['tcp', i, 'port']);
    });
    const edgeKeys = new Set<string>();
    t.edges.forEach((e, i) => {
      if (edgeKeys.has(e.key))
        ctx.addIssue({ code: 'custom', path: ['edges', i, 'key'], message: `duplicate key ${e.key}` });
      edgeKeys.add(e.key);
      claimPort(e.port, ['edges', i, 'port']);
      if (e.tls) claimPort(e.tls.port, ['edges', i, 'tls', 'port']);
    });
  });

/** Validates an unknown value as a RoutingTable; throws a ValidationError listing every problem. */
export function parseRoutingTable(value: unknown, file = 'request body'): RoutingTable {
  const result = routingTableSchema.safeParse(value);
  if (result.success) return result.data;
  const problems: Problem[] = result.error.issues.map((issue) => ({
    file,
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  throw new ValidationError(
    `invalid routing table (${problems.length} problem${problems.length === 1 ? '' : 's'})`,
    problems,
  );
}
