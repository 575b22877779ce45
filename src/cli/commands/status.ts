/** `berth status [APP]`: every app at a glance, or one app's services, replicas and addresses. */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { age, bold, printData, printTable } from '../output.js';
import type { AppObservation, ServiceStatus } from '../../model/observation.js';
import type { Release } from '../../release/releases.js';
import { driftText, type ConfigDrift } from '../../release/configDrift.js';
import type { TrackAutoscaleStatus } from '../../autoscale/autoscaler.js';
import { envOption } from '../envOption.js';

interface AppRow {
  app: string;
  env: string;
  lastRelease?: Release;
  currentRevision: number | null;
  down: boolean;
}

type Status = AppObservation & {
  app: string;
  env: string;
  currentRevision: number | null;
  lastRelease: Release | null;
  configDrift?: ConfigDrift;
};

const mib = (b?: number): string => (b === undefined ? '-' : `${(b / 1048576).toFixed(0)}Mi`);

export function registerStatus(program: Command): void {
  program
    .command('status [app]')
    .description(
      'apps at a glance, or one app: services, how each runs (process or container), replicas ready/desired, restarts, addresses, edge URL',
    )
    .addOption(envOption())
    .option('--replicas', 'one row per replica (pid, container, port, phase, CPU, memory, last exit)')
    .action(async (app: string | undefined, o: { env: string; replicas?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const client = await ctx.client();
      if (!app) {
        const apps = await client.get<AppRow[]>('/api/v1/apps');
        if (ctx.output !== 'table') return printData(ctx.output, apps);
        if (apps.length === 0)
          return void process.stdout.write('no apps yet: deploy one with `berth up <dir>` or `berth deploy <dir>`\n');
        return printTable(
          apps.map((a) => ({
            app: a.app,
            env: a.env,
            revision: a.down ? 'down' : (a.currentRevision ?? '-'),
            'last release': a.lastRelease
              ? `${a.lastRelease.revision} ${a.lastRelease.kind} ${a.lastRelease.status}`
              : '-',
            age: age(a.lastRelease?.createdAt),
          })),
          ['app', 'env', 'revision', 'last release', 'age'],
        );
      }
      const st = await client.get<Status>(
        `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(o.env)}/status`,
      );
      if (ctx.output !== 'table') return printData(ctx.output, st);
      const last = st.lastRelease;
      process.stdout.write(
        `${bold(`${st.app} in ${st.env}`)}  revision ${st.currentRevision ?? '-'}${last && last.revision !== st.currentRevision ? ` (revision ${last.revision} ${last.kind} ${last.status}${last.status === 'failed' && last.reason ? `: ${last.reason}` : ''})` : ''}\n`,
      );
      if (st.edge)
        process.stdout.write(`edge: ${st.edge.url}${st.edge.error ? ` — NOT LISTENING: ${st.edge.error}` : ''}\n`);
      if (st.configDrift) process.stdout.write(`${driftText(st.configDrift).join('\n')}\n`);
      if (st.services.length === 0) return void process.stdout.write('no services running\n');
      if (o.replicas) {
        // The container column only when some replica runs as one.
        const containers = st.services.some((s) => s.replicas.some((r) => r.container !== undefined));
        return printTable(
          st.services.flatMap((s) =>
            s.replicas.map((r) => ({
              service: s.service,
              replica: r.id,
              phase: r.phase,
              pid: r.pid,
              container: r.container ?? '',
              port: r.port,
              restarts: r.restarts,
              cpu: r.cpuPercent === undefined ? '-' : `${r.cpuPercent.toFixed(1)}%`,
              memory: mib(r.memoryBytes),
              age: age(r.startedAt),
              'last exit': r.lastExit ? `${r.lastExit.reason} ${age(r.lastExit.at)} ago` : '',
              message: r.message ?? '',
            })),
          ),
          [
            'service',
            'replica',
            'phase',
            'pid',
            ...(containers ? ['container'] : []),
            'port',
            'restarts',
            'cpu',
            'memory',
            'age',
            'last exit',
            'message',
          ],
        );
      }
      const running = last && (last.status === 'running' || last.status === 'pending') ? last : undefined;
      printTable(
        st.services.map((s) => ({
          service: s.service,
          'run as': s.runAs ?? 'image',
          ready: `${s.readyReplicas}/${s.desiredReplicas}`,
          tracks: tracksText(s),
          rollout: rolloutText(running, s.service),
          restarts: s.replicas.reduce((n, r) => n + r.restarts, 0),
          address: addressText(s.address),
          revision: s.revision,
          status:
            s.address?.error ??
            (s.circuit && s.circuit.state !== 'closed'
              ? `circuit ${s.circuit.state === 'open' ? 'open' : 'half-open'}${s.circuit.reason ? ` (${s.circuit.reason})` : ''}`
              : undefined) ??
            notReadyReason(s) ??
            (s.readyReplicas === s.desiredReplicas ? 'ok' : 'progressing'),
        })),
        st.services.some((s) => s.tracks)
          ? ['service', 'ready', 'tracks', 'rollout', 'restarts', 'address', 'revision', 'run as', 'status']
          : ['service', 'ready', 'restarts', 'address', 'revision', 'run as', 'status'],
      );
      for (const line of checkLines(last, st.currentRevision)) process.stdout.write(`${line}\n`);
      const scaling = await client
        .get<{ tracks: TrackAutoscaleStatus[] }>(
          `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(o.env)}/autoscale`,
        )
        .catch(() => ({ tracks: [] }));
      for (const t of scaling.tracks) process.stdout.write(`${autoscaleText(t)}\n`);
    });
}

/** The first port's URL, then each other port's: `tcp://127.0.0.1:41001 · admin http://127.0.0.1:41002`. */
function addressText(a: ServiceStatus['address']): string | undefined {
  if (a === undefined) return undefined;
  const others = (a.ports ?? []).map((p) => ` · ${p.name} ${p.url ?? `tcp://${a.host}:${p.port}`}`);
  return `${a.url}${others.join('')}`;
}

/** `autoscale web stable: 4 (min 1, max 4) · requestsPerSecond 23.4/20 · scaled 1→4 12s ago: …`. */
function autoscaleText(t: TrackAutoscaleStatus): string {
  const metrics = t.metrics
    .map((m) => `${m.name} ${m.current === undefined ? '?' : Math.round(m.current * 10) / 10}/${m.target}`)
    .join(', ');
  const last = t.events.at(-1);
  const scaled = last ? ` · scaled ${last.from}→${last.to} ${age(last.time)} ago: ${last.reason}` : '';
  return `autoscale ${t.service} ${t.track}: ${t.desiredReplicas} (min ${t.minReplicas}, max ${t.maxReplicas}) · ${metrics}${scaled}${t.error ? ` · ERROR: ${t.error}` : ''}`;
}

/**
 * Why a service is not ready, from its first replica that is not: the replica's own message, or,
 * for one started again after a failure (between two back-offs of a crash loop), that failure.
 */
function notReadyReason(s: ServiceStatus): string | undefined {
  const r = s.replicas.find((x) => x.phase !== 'ready');
  if (r === undefined) return undefined;
  if (r.message !== undefined) return r.message;
  if (r.lastExit !== undefined && r.restarts > 0)
    return `started again after: ${r.lastExit.reason} (${r.restarts} restart${r.restarts === 1 ? '' : 's'})`;
  return undefined;
}

/** `stable 3/3 75% · canary 1/1 25%`, with the A/B match when there is one. */
function tracksText(s: AppObservation['services'][number]): string {
  if (!s.tracks) return '';
  const match = s.traffic?.match;
  const by = match
    ? 'header' in match
      ? ` + ${match.header}: ${match.value}`
      : ` + cookie ${match.cookie}=${match.value}`
    : '';
  return s.tracks
    .map((t) => `${t.track} ${t.readyReplicas}/${t.desiredReplicas} ${t.weight}%${t.track === 'canary' ? by : ''}`)
    .join(' · ');
}

/**
 * The latest analysis check of each service of the last release, while it runs or when it did not
 * become the current one (a failed rollout): `analysis api: step 1/3 at 20%: fail: error rate …`.
 */
function checkLines(release: Release | null, currentRevision: number | null): string[] {
  if (!release || (release.revision === currentRevision && release.status === 'succeeded')) return [];
  return release.steps.flatMap((s) => {
    const c = s.progress?.checks?.at(-1);
    if (!c || !s.progress) return [];
    const times = c.repeats ? ` (${c.repeats} checks)` : '';
    return [
      `analysis ${s.service}${release.status === 'running' ? '' : ` (revision ${release.revision} ${release.status})`}: step ${c.step + 1}/${s.progress.of} at ${c.weight}%: ${c.verdict}: ${c.message}${times}`,
    ];
  });
}

/** `canary step 3/5: pause 30s` for a service whose progressive rollout is running. */
function rolloutText(release: Release | undefined, service: string): string {
  const p = release?.steps.find((st) => st.service === service && st.status === 'running')?.progress;
  if (!p) return '';
  return p.step >= p.of ? `${p.strategy}: ${p.phase}` : `${p.strategy} step ${p.step + 1}/${p.of}: ${p.phase}`;
}
