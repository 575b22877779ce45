/** `berth env list|create|delete`: the environments apps deploy to. */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { printData, printTable } from '../output.js';
import type { Environment } from '../../environment/environments.js';
import { ValidationError } from '../../errors.js';

export function registerEnv(program: Command): void {
  const env = program.command('env').description('environments: where apps run, and their variable defaults');

  env
    .command('list')
    .description('every environment')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const list = await (await ctx.client()).get<Environment[]>('/api/v1/environments');
      if (ctx.output !== 'table') return printData(ctx.output, list);
      printTable(
        list.map((e) => ({
          name: e.name,
          target:
            e.target.kind === 'local'
              ? 'this machine'
              : `kubernetes ${e.target.context ?? '(current context)'}/${e.target.namespace}`,
          defaults: Object.keys(e.defaults).join(','),
        })),
        ['name', 'target', 'defaults'],
      );
    });

  env
    .command('create <name>')
    .description('create an environment')
    .option('--var <pairs...>', 'variable defaults as KEY=VALUE')
    .option('--kubernetes', 'target a Kubernetes cluster instead of this machine')
    .option('--context <context>', 'kubeconfig context (with --kubernetes)')
    .option('--namespace <namespace>', 'namespace (with --kubernetes; default: the environment name)')
    .option(
      '--traffic-router <router>',
      'how canary/blue-green/A-B traffic is split on the cluster: gatewayApi (HTTPRoute, default) or ingressNginx',
    )
    .option('--gateway <name[/namespace]>', 'the Gateway API Gateway the HTTPRoutes attach to (default: berth)')
    .action(
      async (
        name: string,
        o: {
          var?: string[];
          kubernetes?: boolean;
          context?: string;
          namespace?: string;
          trafficRouter?: string;
          gateway?: string;
        },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        const defaults: Record<string, string> = {};
        for (const p of o.var ?? []) {
          const i = p.indexOf('=');
          if (i <= 0)
            throw new ValidationError('invalid --var', [
              { file: 'command line', path: 'var', message: `"${p}" is not KEY=VALUE` },
            ]);
          defaults[p.slice(0, i)] = p.slice(i + 1);
        }
        if (!o.kubernetes && (o.trafficRouter || o.gateway || o.context || o.namespace))
          throw new ValidationError('options need --kubernetes', [
            {
              file: 'command line',
              path: 'kubernetes',
              message: 'cluster options apply to a --kubernetes environment',
            },
          ]);
        const [gwName, gwNamespace, extra] = (o.gateway ?? '').split('/');
        if (o.gateway !== undefined && (!gwName || extra !== undefined))
          throw new ValidationError('invalid --gateway', [
            { file: 'command line', path: 'gateway', message: `"${o.gateway}" is not NAME or NAME/NAMESPACE` },
          ]);
        const target = o.kubernetes
          ? {
              kind: 'kubernetes',
              namespace: o.namespace ?? name,
              ...(o.context ? { context: o.context } : {}),
              ...(o.trafficRouter ? { trafficRouter: o.trafficRouter } : {}),
              ...(gwName ? { gateway: { name: gwName, ...(gwNamespace ? { namespace: gwNamespace } : {}) } } : {}),
            }
          : { kind: 'local' };
        const created = await (
          await ctx.client()
        ).post<Environment>('/api/v1/environments', { name, target, defaults });
        if (ctx.output !== 'table') return printData(ctx.output, created);
        process.stdout.write(`environment ${created.name} created\n`);
      },
    );
  env
    .command('delete <name>')
    .alias('rm')
    .description('delete an environment (refused while an app runs there; its history and config are kept)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      await (await ctx.client()).delete(`/api/v1/environments/${encodeURIComponent(name)}`);
      if (ctx.output !== 'table') return printData(ctx.output, { deleted: name });
      process.stdout.write(`environment ${name} deleted\n`);
    });
}
