/** `berth env list|get|create|set|delete`: the environments apps deploy to. */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { printData, printTable } from '../output.js';
import type { Environment } from '../../environment/environments.js';
import { ValidationError } from '../../errors.js';
import { VOLUME_NAME } from '../../spec/names.js';
import { edgePortFlag, type EdgePortChange } from '../edgePorts.js';
import { registerEnvCopy } from './envCopy.js';

const CONTAINERS_HELP =
  'which services run as containers on this machine: auto (those with an image and no command; default), always (every service with an image), never (every service runs its command)';
const CONTAINERS_MODES = ['auto', 'always', 'never'];

/** `--protected`, `--protected=true|false`. */
function protectedFlag(v: string | boolean): boolean {
  if (v === true || v === 'true') return true;
  if (v === 'false') return false;
  throw new ValidationError('invalid --protected', [
    { file: 'command line', path: 'protected', message: `"${String(v)}" is not true or false` },
  ]);
}

/** `--approvals N`: how many approvals by others an operation into the environment waits for. */
function approvalsFlag(v: string): number {
  if (/^\d{1,2}$/.test(v) && Number(v) <= 10) return Number(v);
  throw new ValidationError('invalid --approvals', [
    { file: 'command line', path: 'approvals', message: `"${v}" is not a number of approvals from 0 to 10` },
  ]);
}

/** `--containers MODE`, checked here so a typo is named as the flag. */
function containersFlag(v: string): string {
  if (!CONTAINERS_MODES.includes(v))
    throw new ValidationError('invalid --containers', [
      { file: 'command line', path: 'containers', message: `"${v}" is not one of auto, always, never` },
    ]);
  return v;
}

/** The log index's retention of an environment, as `env get`/`set` say it. */
function logsKept(e: Environment): string {
  const r = e.target.logRetention;
  return `log index keeps ${r?.maxAge ?? '7 days'} and ${r?.maxSize ?? '1Gi'} of lines`;
}

/** What `env list`/`get` show of a target: where it runs, its containers mode on this machine. */
function targetText(e: Environment): { target: string; containers: string } {
  if (e.target.kind !== 'local')
    return {
      target: `kubernetes ${e.target.context ?? '(current context)'}/${e.target.namespace}`,
      containers: 'images',
    };
  return { target: 'this machine', containers: e.target.containers ?? 'auto' };
}

const EDGE_PORT_HELP =
  "edge port on this machine: PORT (the environment's: first app gets it, later apps the next free above), APP=PORT (that app's, exactly), default or APP=default to remove; repeatable";

/** The local target's edge fields from `--edge-port` values (removals dropped: nothing to remove yet). */
function edgeTarget(change: EdgePortChange): Record<string, unknown> {
  const ports = Object.entries(change.edgePorts ?? {}).filter(([, p]) => p !== null);
  return {
    ...(typeof change.edgePort === 'number' ? { edgePort: change.edgePort } : {}),
    ...(ports.length ? { edgePorts: Object.fromEntries(ports) } : {}),
  };
}

export function registerEnv(program: Command): void {
  const env = program.command('env').description('environments: where apps run, and their variable defaults');

  env
    .command('list')
    .alias('ls')
    .description('every environment')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const client = await ctx.client();
      const list = await client.get<Environment[]>('/api/v1/environments');
      if (ctx.output !== 'table') return printData(ctx.output, list);
      // Which environments are previews (docs/previews.md): `APP/KEY` (none from a control plane without previews).
      const previews = new Map(
        (await client.get<{ app: string; key: string; env: string }[]>('/api/v1/previews').catch(() => [])).map((p) => [
          p.env,
          `${p.app}/${p.key}`,
        ]),
      );
      printTable(
        list.map((e) => ({
          preview: previews.get(e.name),
          name: e.name,
          ...targetText(e),
          defaults: Object.keys(e.defaults).join(','),
          edge:
            e.target.kind === 'local'
              ? [
                  ...(e.target.edgePort !== undefined ? [String(e.target.edgePort)] : []),
                  ...Object.entries(e.target.edgePorts ?? {}).map(([a, p]) => `${a}=${p}`),
                ].join(',')
              : '',
          protected: e.target.protected ? 'yes' : '',
          approvals: e.target.approvals ? String(e.target.approvals) : '',
        })),
        ['name', 'target', 'containers', 'defaults', 'edge', 'protected', 'approvals', 'preview'],
      );
    });

  env
    .command('get <name>')
    .alias('show')
    .description('one environment: where it runs, its containers mode, edge ports, time zone and variable defaults')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const e = await (await ctx.client()).get<Environment>(`/api/v1/environments/${encodeURIComponent(name)}`);
      if (ctx.output !== 'table') return printData(ctx.output, e);
      const t = targetText(e);
      const lines = [
        ['name', e.name],
        ['target', t.target],
        ['containers', t.containers],
        ...(e.target.kind === 'local'
          ? [
              [
                'edge',
                [
                  e.target.edgePort === undefined ? 'default' : String(e.target.edgePort),
                  ...Object.entries(e.target.edgePorts ?? {}).map(([a, p]) => `${a}=${p}`),
                ].join(', '),
              ],
            ]
          : [['prometheus', e.target.prometheus?.url ?? 'none (progressive releases are not analysed)']]),
        ['time zone', e.target.timeZone ?? 'UTC'],
        ['protected', e.target.protected ? 'yes: deploys, promotions and rollbacks need a confirmation' : 'no'],
        ['approvals', e.target.approvals ? `${e.target.approvals} by others before an operation runs` : 'none'],
        ['registry', e.target.registry ?? 'none (images are built for this machine)'],
        ...(e.target.kind === 'kubernetes'
          ? [['builder', e.target.builderImage ?? 'the default Kaniko executor (docs/builds.md)']]
          : []),
        ['logs', logsKept(e)],
        [
          'defaults',
          Object.entries(e.defaults)
            .map(([k, v]) => `${k}=${v}`)
            .join(', '),
        ],
        ['created', e.createdAt],
      ];
      for (const [k, v] of lines) process.stdout.write(`${`${k}:`.padEnd(12)}${v}\n`);
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
    .option(
      '--prometheus <url>',
      "the Prometheus that scrapes the traffic router: canary analysis reads each track's requests from it (with --kubernetes)",
    )
    .option('--prometheus-timeout <duration>', 'how long one Prometheus query may take (default 5s)')
    .option(
      '--storage-class <class>',
      "StorageClass of the apps' volumes (with --kubernetes; default: the cluster's default class)",
    )
    .option(
      '--volume-size <volume=size>',
      "a volume's claim size in this environment, e.g. pgdata=50Gi, over berth.yaml's size (with --kubernetes; repeatable)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--edge-port <port|app=port>', EDGE_PORT_HELP, edgePortFlag)
    .option(
      '--time-zone <zone>',
      'IANA time zone the cronjobs of this environment follow (e.g. Europe/Berlin; default UTC)',
    )
    .option('--containers <mode>', CONTAINERS_HELP, containersFlag)
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
          prometheus?: string;
          prometheusTimeout?: string;
          storageClass?: string;
          volumeSize?: string[];
          edgePort?: EdgePortChange;
          timeZone?: string;
          containers?: string;
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
          if (p.slice(0, i) === '__proto__')
            throw new ValidationError('invalid --var', [
              { file: 'command line', path: 'var', message: `"${p}": \`__proto__\` cannot be a variable name` },
            ]);
          defaults[p.slice(0, i)] = p.slice(i + 1);
        }
        if (o.kubernetes && o.containers)
          throw new ValidationError('--containers is for this machine', [
            {
              file: 'command line',
              path: 'containers',
              message: 'a --kubernetes environment always runs images',
            },
          ]);
        if (o.kubernetes && o.edgePort)
          throw new ValidationError('--edge-port is for this machine', [
            {
              file: 'command line',
              path: 'edge-port',
              message: "a --kubernetes environment's edge is its Ingress controller's",
            },
          ]);
        const volumeSizes = new Map<string, string>();
        for (const v of o.volumeSize ?? []) {
          const i = v.indexOf('=');
          if (i <= 0 || i === v.length - 1 || !VOLUME_NAME.test(v.slice(0, i)))
            throw new ValidationError('invalid --volume-size', [
              {
                file: 'command line',
                path: 'volume-size',
                message: `"${v}" is not VOLUME=SIZE (a volume name of lowercase letters, digits and -; e.g. pgdata=50Gi)`,
              },
            ]);
          volumeSizes.set(v.slice(0, i), v.slice(i + 1));
        }
        if (
          !o.kubernetes &&
          (o.trafficRouter ||
            o.gateway ||
            o.context ||
            o.namespace ||
            o.storageClass ||
            o.prometheus ||
            o.prometheusTimeout ||
            volumeSizes.size > 0)
        )
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
              ...(o.prometheus !== undefined || o.prometheusTimeout !== undefined
                ? {
                    prometheus: {
                      url: o.prometheus,
                      ...(o.prometheusTimeout !== undefined ? { timeout: o.prometheusTimeout } : {}),
                    },
                  }
                : {}),
              ...(o.storageClass ? { storageClass: o.storageClass } : {}),
              ...(volumeSizes.size > 0 ? { volumeSizes: Object.fromEntries(volumeSizes) } : {}),
              ...(o.timeZone !== undefined ? { timeZone: o.timeZone } : {}),
            }
          : {
              kind: 'local',
              ...edgeTarget(o.edgePort ?? {}),
              ...(o.timeZone !== undefined ? { timeZone: o.timeZone } : {}),
              ...(o.containers !== undefined ? { containers: o.containers } : {}),
            };
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

  env
    .command('set <name>')
    .alias('update')
    .description(
      "change an environment's edge ports, the time zone of its cronjobs or its containers mode (each app takes them at its next deploy), or how long and how much of its logs the log index keeps",
    )
    .option('--edge-port <port|app=port>', EDGE_PORT_HELP, edgePortFlag)
    .option(
      '--time-zone <zone>',
      `${'IANA time zone the cronjobs of this environment follow (e.g. Europe/Berlin; default UTC)'}; "" goes back to UTC`,
    )
    .option('--containers <mode>', CONTAINERS_HELP, containersFlag)
    .option(
      '--prometheus <url>',
      'the Prometheus canary analysis reads the traffic router from (Kubernetes environments); "" removes it',
    )
    .option('--prometheus-timeout <duration>', 'how long one Prometheus query may take (default 5s; with --prometheus)')
    .option(
      '--log-max-age <duration>',
      'how long the log index keeps lines (72h; default 168h = 7 days); "" goes back to it',
    )
    .option('--log-max-size <size>', 'how much line text the log index keeps (5Gi; default 1Gi); "" goes back to it')
    .option(
      '--protected [bool]',
      'deploys, promotions and rollbacks into this environment need an explicit confirmation; --protected=false lifts it',
      protectedFlag,
    )
    .option(
      '--approvals <n>',
      'deploys, promotions, rollbacks and config changes into this environment wait for N approvals by others (docs/access.md); 0 lifts it',
      approvalsFlag,
    )
    .option('--registry <host[/prefix]>', 'the registry `berth build` pushes images to (docs/builds.md); "" removes it')
    .option(
      '--builder-image <image>',
      'Kubernetes: the Kaniko executor image of in-cluster builds, pinned (a mirror of gcr.io/kaniko-project/executor); "" goes back to the default',
    )
    .action(
      async (
        name: string,
        o: {
          protected?: boolean;
          approvals?: number;
          registry?: string;
          builderImage?: string;
          edgePort?: EdgePortChange;
          timeZone?: string;
          containers?: string;
          prometheus?: string;
          prometheusTimeout?: string;
          logMaxAge?: string;
          logMaxSize?: string;
        },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        if (o.prometheusTimeout !== undefined && !o.prometheus)
          throw new ValidationError('--prometheus-timeout needs --prometheus', [
            { file: 'command line', path: 'prometheus-timeout', message: 'give --prometheus URL with it' },
          ]);
        if (
          !o.edgePort &&
          o.timeZone === undefined &&
          o.containers === undefined &&
          o.prometheus === undefined &&
          o.logMaxAge === undefined &&
          o.logMaxSize === undefined &&
          o.protected === undefined &&
          o.approvals === undefined &&
          o.registry === undefined &&
          o.builderImage === undefined
        )
          throw new ValidationError('nothing to change', [
            {
              file: 'command line',
              path: 'edge-port',
              message:
                'give --edge-port PORT, --edge-port APP=PORT, --time-zone ZONE, --containers MODE, --prometheus URL, --log-max-age DURATION, --log-max-size SIZE, --registry HOST, --builder-image IMAGE, --protected[=false] or --approvals N',
            },
          ]);
        const logs = { maxAge: o.logMaxAge, maxSize: o.logMaxSize };
        const change = {
          ...(o.registry !== undefined ? { registry: o.registry === '' ? null : o.registry } : {}),
          ...(o.builderImage !== undefined ? { builderImage: o.builderImage === '' ? null : o.builderImage } : {}),
          ...(o.edgePort ?? {}),
          ...(o.timeZone !== undefined ? { timeZone: o.timeZone === '' ? null : o.timeZone } : {}),
          ...(o.containers !== undefined ? { containers: o.containers } : {}),
          ...(o.protected !== undefined ? { protected: o.protected } : {}),
          ...(o.approvals !== undefined ? { approvals: o.approvals } : {}),
          ...(o.prometheus !== undefined
            ? {
                prometheus:
                  o.prometheus === ''
                    ? null
                    : { url: o.prometheus, ...(o.prometheusTimeout ? { timeout: o.prometheusTimeout } : {}) },
              }
            : {}),
          ...(o.logMaxAge !== undefined || o.logMaxSize !== undefined
            ? {
                logRetention: Object.fromEntries(
                  Object.entries(logs)
                    .filter(([, v]) => v !== undefined)
                    .map(([k, v]) => [k, v === '' ? null : v]),
                ),
              }
            : {}),
        };
        const changed = await (
          await ctx.client()
        ).patch<Environment>(`/api/v1/environments/${encodeURIComponent(name)}`, change);
        if (ctx.output !== 'table') return printData(ctx.output, changed);
        const t = changed.target;
        const ports =
          t.kind === 'local'
            ? [
                `edge port ${t.edgePort ?? 'default'}`,
                ...Object.entries(t.edgePorts ?? {}).map(([a, p]) => `${a} at ${p}`),
              ].join(', ')
            : '';
        const zone = `cronjobs in ${t.timeZone ?? 'UTC'}`;
        const containers = t.kind === 'local' ? `, containers ${t.containers ?? 'auto'}` : '';
        const prometheus =
          t.kind === 'kubernetes' ? `, canary analysis from ${t.prometheus?.url ?? 'no Prometheus'}` : '';
        const guarded = t.approvals
          ? `, deploys, promotions, rollbacks and config changes wait for ${t.approvals} approval${t.approvals === 1 ? '' : 's'}`
          : t.protected
            ? ', protected (deploys, promotions and rollbacks need a confirmation)'
            : '';
        process.stdout.write(
          `environment ${changed.name}: ${ports ? `${ports} (taken by each app's next deploy), ` : ''}${zone}${containers}${prometheus}, ${logsKept(changed)}${t.registry ? `, images pushed to ${t.registry}` : ''}${t.kind === 'kubernetes' && t.builderImage ? `, built in the cluster by ${t.builderImage}` : ''}${guarded}\n`,
        );
      },
    );

  registerEnvCopy(env);
}
