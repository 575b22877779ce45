/** A service's `ports` in berth.yaml: numbers or `{ name, port, protocol, appProtocol }`, normalised with default names. */
import { z } from 'zod';
import { APP_PROTOCOLS, defaultAppProtocol } from '../model/ports.js';
import type { AppProtocol } from '../model/ports.js';
import type { Workload } from '../model/workload.js';
import { DNS_LABEL as PORT_NAME } from '../model/names.js';
import { portNumber } from './fields.js';

const portLong = z.strictObject({
  name: z
    .string()
    .max(15, 'port names have at most 15 characters')
    .regex(PORT_NAME, 'port names are lowercase letters, digits and `-`')
    .optional()
    .describe('Port name (Kubernetes port name). Default: `http` for the first port, `port-<number>` for others.'),
  port: portNumber.describe('Port number the service listens on.'),
  protocol: z.enum(['TCP', 'UDP']).default('TCP').describe('`TCP` (default) or `UDP`.'),
  appProtocol: z
    .enum(APP_PROTOCOLS)
    .optional()
    .describe(
      'What the port speaks (Kubernetes `appProtocol`): `http` (requests: policies, tracks, metrics, a `_URL`), `grpc`, or `tcp` (opaque: connections are balanced, not requests). Default: `http` for the first TCP port, `tcp` for the others.',
    ),
});

type PortEntry =
  number | { name?: string | undefined; port: number; protocol: 'TCP' | 'UDP'; appProtocol?: AppProtocol | undefined };

/** Fills default names; entries that failed validation (possible inside a refinement) become undefined. */
export function normalizePorts(list: readonly unknown[]): (Workload['ports'][number] | undefined)[] {
  return list.map((entry, i) => {
    const p = entry as PortEntry;
    const long: Exclude<PortEntry, number> = typeof p === 'number' ? { port: p, protocol: 'TCP' as const } : p;
    if (typeof long?.port !== 'number') return undefined;
    const protocol = long.protocol ?? 'TCP';
    const appProtocol = long.appProtocol ?? defaultAppProtocol(i, protocol);
    return {
      name: long.name ?? (i === 0 ? 'http' : `port-${long.port}`),
      port: long.port,
      protocol,
      ...(appProtocol ? { appProtocol } : {}),
    };
  });
}

/** Runs a refinement even when entries have problems of their own, so duplicates are reported too. */
const evenWithProblems = { when: (payload: { value: unknown }) => Array.isArray(payload.value) };

/** A service's `ports`: numbers or the long form, default names filled, duplicates reported. */
export const portsSchema = z
  .array(z.union([portNumber, portLong]))
  .superRefine((list, ctx) => {
    const out = normalizePorts(list);
    out.forEach((p, i) => {
      if (!p) return;
      const first = out.findIndex((q) => q?.name === p.name);
      if (first < i)
        ctx.addIssue({
          code: 'custom',
          message: `port name \`${p.name}\` is already used by ports.${first}`,
          path: [i],
        });
      if (p.protocol === 'UDP' && p.appProtocol !== undefined)
        ctx.addIssue({
          code: 'custom',
          message: `a UDP port carries datagrams: \`appProtocol: ${p.appProtocol}\` needs \`protocol: TCP\``,
          path: [i, 'appProtocol'],
        });
      const same = out.findIndex((q) => q?.port === p.port && q.protocol === p.protocol);
      if (same < i)
        ctx.addIssue({
          code: 'custom',
          message: `port ${p.port}/${p.protocol} is already listed as ports.${same}`,
          path: [i],
        });
    });
  }, evenWithProblems)
  .default([])
  .transform((list) => normalizePorts(list) as Workload['ports'])
  .describe('Ports the service listens on: numbers (`[8080]`) or `{ name, port, protocol, appProtocol }`.');
