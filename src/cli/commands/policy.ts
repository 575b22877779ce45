/**
 * `berth policy show|set|clear`: the traffic policy of a service or a route (rate limit, timeout,
 * retries, circuit breaker, fallback), changed live. Each change is a revision of kind `policy`: no
 * replica moves, `berth rollback` undoes it, and the next deploy applies berth.yaml's again.
 */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { followRelease } from '../progress.js';
import { printData, printTable } from '../output.js';
import { WAIT_HELP, startOperation } from '../operation.js';
import type { Release } from '../../release/releases.js';
import type { TrafficPolicy } from '../../model/routing.js';
import { ValidationError } from '../../errors.js';
import { envOption } from '../envOption.js';

const base = (app: string, env: string): string =>
  `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(env)}`;

interface Policies {
  revision: number;
  services: Record<string, TrafficPolicy | null>;
  routes: { path: string; host?: string; service: string; policy: TrafficPolicy | null }[];
}

/** `rateLimit 5/s (burst 10) · timeout 2000ms · retries 2 · breaker 5 in a row, open 30s · fallback 503`. */
function summary(p: TrafficPolicy | null): string {
  if (!p) return '-';
  const parts: string[] = [];
  if (p.rateLimit) parts.push(`rateLimit ${p.rateLimit.requestsPerSecond}/s (burst ${p.rateLimit.burst})`);
  if (p.timeoutMs !== undefined) parts.push(`timeout ${p.timeoutMs}ms`);
  if (p.retries) parts.push(`retries ${p.retries.attempts} on ${p.retries.onStatus.join('/')}`);
  if (p.circuitBreaker) {
    const c = p.circuitBreaker;
    const when = [
      c.consecutiveFailures === undefined ? '' : `${c.consecutiveFailures} in a row`,
      c.errorRate === undefined ? '' : `${Math.round(c.errorRate * 100)}% errors`,
    ].filter(Boolean);
    parts.push(`breaker ${when.join(' or ')}, open ${c.openMs}ms`);
  }
  if (p.fallback) parts.push(`fallback ${p.fallback.status}`);
  return parts.join(' · ');
}

function target(t: string): { app: string; service?: string } {
  const [app, service, extra] = t.split('/');
  if (!app || extra !== undefined)
    throw new ValidationError('invalid target', [
      { file: 'command line', path: 'target', message: `"${t}" is not APP/SERVICE (or APP with --route)` },
    ]);
  return service ? { app, service } : { app };
}

/** The YAML parser is loaded only here: every other command starts without it. */
async function policyText(text: string): Promise<unknown> {
  const { parse } = await import('yaml');
  try {
    return parse(text) as unknown;
  } catch (err) {
    throw new ValidationError('invalid policy', [
      { file: 'command line', path: 'policy', message: `not YAML: ${(err as Error).message}` },
    ]);
  }
}

export function registerPolicy(program: Command): void {
  const policy = program
    .command('policy')
    .description(
      'traffic policy of services and routes (rate limit, timeout, retries, circuit breaker, fallback), changed live',
    );

  policy
    .command('show <app>')
    .description('the policies in force, per service and per route')
    .addOption(envOption())
    .action(async (app: string, o: { env: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const p = await (await ctx.client()).get<Policies>(`${base(app, o.env)}/policy`);
      if (ctx.output !== 'table') return printData(ctx.output, p);
      printTable(
        [
          ...Object.entries(p.services).map(([s, sp]) => ({ target: s, policy: summary(sp) })),
          ...p.routes.map((r) => ({
            target: `route ${r.host ?? ''}${r.path} → ${r.service}`,
            policy: summary(r.policy),
          })),
        ],
        ['target', 'policy'],
      );
    });

  const change = (name: string, description: string, withPolicy: boolean) =>
    policy
      .command(withPolicy ? `${name} <target> <policy>` : `${name} <target>`)
      .description(description)
      .addOption(envOption())
      .option('--route <path>', "a route's policy instead of a service's (TARGET is then APP)")
      .option('--host <host>', 'the route’s host, when it has one')
      .option('-d, --detach', 'do not follow the revision')
      .option('--wait', WAIT_HELP)
      .action(async (...args: unknown[]) => {
        const cmd = args.at(-1) as Command;
        const o = args.at(-2) as { env: string; route?: string; host?: string; detach?: boolean; wait?: boolean };
        const t = target(args[0] as string);
        const body = { policy: withPolicy ? await policyText(args[1] as string) : null };
        const ctx = contextOf(cmd);
        const client = await ctx.client();
        let release: Release;
        if (o.route !== undefined) {
          const path = o.route;
          release = await startOperation(o.wait, (wait) =>
            client.put<Release>(`${base(t.app, o.env)}/routes/policy`, {
              ...body,
              path,
              ...(o.host ? { host: o.host } : {}),
              wait,
            }),
          );
        } else {
          if (!t.service)
            throw new ValidationError('invalid target', [
              {
                file: 'command line',
                path: 'target',
                message: 'name the service as APP/SERVICE, or a route with --route',
              },
            ]);
          const service = t.service;
          release = await startOperation(o.wait, (wait) =>
            client.put<Release>(`${base(t.app, o.env)}/services/${encodeURIComponent(service)}/policy`, {
              ...body,
              wait,
            }),
          );
        }
        if (o.detach)
          return ctx.output !== 'table'
            ? printData(ctx.output, release)
            : void process.stdout.write(`revision ${release.revision} created\n`);
        const final = await followRelease(client, release, { quiet: ctx.output !== 'table' });
        if (ctx.output !== 'table') await printData(ctx.output, final);
        if (final.status !== 'succeeded') process.exitCode = 1;
      });

  change(
    'set',
    "set the policy of APP/SERVICE (or of a route with --route) from YAML, e.g. '{ rateLimit: { requestsPerSecond: 50 }, timeout: 2s }'",
    true,
  );
  change('clear', 'remove the policy of APP/SERVICE (or of a route with --route)', false);
}
