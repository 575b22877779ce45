/** Health checks in berth.yaml: a probe (`http`, `tcp` or `exec` with Kubernetes timing) and a service's `health`. */
import { z } from 'zod';
import type { Probe, ProbeTiming } from '../model/probe.js';
import { durationMs } from './units.js';
import { command, portNumber } from './fields.js';

/** A health check: exactly one of `http`, `tcp`, `exec`, plus Kubernetes timing with its defaults. */
export const probeSchema = z
  .strictObject({
    http: z
      .strictObject({
        path: z
          .string()
          .regex(/^\//, 'must start with `/`')
          // A probe sends it as it is: what an HTTP request line cannot carry is refused here, not at each probe.
          .regex(
            /^[\x21-\x7e]*$/,
            'must be an HTTP path: no spaces, control or non-ASCII characters (escape them: %20)',
          )
          .default('/')
          .describe('Request path; 2xx and 3xx answers are healthy. Default `/`.'),
        port: portNumber.optional().describe("Port to probe. Default: the service's `$PORT`."),
      })
      .optional()
      .describe('HTTP GET check.'),
    tcp: z
      .strictObject({ port: portNumber.optional().describe("Port to connect to. Default: the service's `$PORT`.") })
      .optional()
      .describe('TCP connect check.'),
    exec: z
      .strictObject({ command: command.describe('Command run inside the replica; exit code 0 is healthy.') })
      .optional()
      .describe('Command check.'),
    initialDelay: durationMs().prefault(0).describe('Wait this long after start before the first check. Default `0s`.'),
    period: durationMs({ positive: true }).prefault('10s').describe('Time between checks. Default `10s`.'),
    timeout: durationMs({ positive: true }).prefault('1s').describe('A check slower than this fails. Default `1s`.'),
    failureThreshold: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .default(3)
      .describe('Consecutive failures that make the replica unhealthy. Default 3.'),
    successThreshold: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .default(1)
      .describe('Consecutive successes that make it healthy again. Default 1.'),
  })
  .transform((p, ctx): Probe => {
    const kinds = (['http', 'tcp', 'exec'] as const).filter((k) => p[k] !== undefined);
    if (kinds.length !== 1) {
      const found = kinds.length === 0 ? 'none' : kinds.map((k) => `\`${k}\``).join(' and ');
      ctx.issues.push({
        code: 'custom',
        message: `a probe needs exactly one of \`http\`, \`tcp\` or \`exec\` (found ${found})`,
        input: p,
      });
      return z.NEVER;
    }
    const timing: ProbeTiming = {
      initialDelayMs: p.initialDelay,
      periodMs: p.period,
      timeoutMs: p.timeout,
      failureThreshold: p.failureThreshold,
      successThreshold: p.successThreshold,
    };
    if (p.http)
      return {
        kind: 'http',
        path: p.http.path,
        ...(p.http.port === undefined ? {} : { port: p.http.port }),
        ...timing,
      };
    if (p.tcp) return { kind: 'tcp', ...(p.tcp.port === undefined ? {} : { port: p.tcp.port }), ...timing };
    return { kind: 'exec', command: p.exec!.command, ...timing };
  })
  .describe('A health check: one of `http`, `tcp` or `exec`, with optional timing.');

/** A service's `health`: readiness and liveness probes. */
export const healthSchema = z
  .strictObject({
    readiness: probeSchema
      .optional()
      .describe('Traffic goes to a replica only while this passes; rollouts wait for it.'),
    liveness: probeSchema.optional().describe('A replica failing this is restarted.'),
  })
  .prefault({})
  .check((ctx) => {
    const live = ctx.value.liveness;
    // Also runs when the probe has problems of its own, so the value may be the raw input.
    if (typeof live?.successThreshold === 'number' && live.successThreshold !== 1) {
      ctx.issues.push({
        code: 'custom',
        message: 'a liveness probe needs `successThreshold: 1` (Kubernetes rule)',
        input: live,
        path: ['liveness', 'successThreshold'],
      });
    }
  })
  .describe('Health checks.');
