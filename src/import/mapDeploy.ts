/**
 * `deploy` (replicas, resources, update_config, restart_policy, ...), the service-level `restart`,
 * `scale`, `cpus`, `mem_limit`, `mem_reservation` and `stop_grace_period`. Memory is converted
 * from Docker's binary units; update_config's order and parallelism become maxSurge/maxUnavailable.
 */
import {
  berthCpu,
  berthDuration,
  berthMemory,
  composeCpuMillis,
  composeDurationMs,
  dockerMemoryBytes,
} from './composeUnits.js';
import { STOP_SIGNALS } from '../model/workload.js';
import type { ServiceContext } from './context.js';
import { problemAt } from './context.js';
import { mapJobRestart } from './mapJobs.js';

type Amounts = { cpu?: string; memory?: string | number };

function amounts(
  ctx: ServiceContext,
  path: (string | number)[],
  cpus: unknown,
  memory: unknown,
  to: string,
): Amounts | undefined {
  const out: Amounts = {};
  if (cpus !== undefined && cpus !== null) {
    const millis = composeCpuMillis(cpus);
    if (millis === undefined) problemAt(ctx, [...path, 'cpus'], `\`${String(cpus)}\` is not a number of CPUs`);
    else {
      out.cpu = berthCpu(millis);
      ctx.report.mapped([...path, 'cpus'], `${to}.cpu`, `${String(cpus)} CPUs = ${out.cpu}`);
    }
  }
  if (memory !== undefined && memory !== null) {
    const bytes = dockerMemoryBytes(memory);
    if (bytes === undefined)
      problemAt(ctx, [...path, 'memory'], `\`${String(memory)}\` is not a memory amount (e.g. 512m, 1g)`);
    else {
      out.memory = berthMemory(bytes);
      const same = String(out.memory) === String(memory);
      if (same) ctx.report.mapped([...path, 'memory'], `${to}.memory`);
      else
        ctx.report.changed(
          [...path, 'memory'],
          `${to}.memory`,
          `\`${String(memory)}\` is ${bytes} bytes in Docker's binary units: written as \`${out.memory}\``,
        );
    }
  }
  return out.cpu === undefined && out.memory === undefined ? undefined : out;
}

function setReplicas(ctx: ServiceContext, path: (string | number)[], n: number): void {
  if (n < 0) return problemAt(ctx, path, 'must be 0 or more');
  if (ctx.out.kind === 'job' && n !== 1)
    return ctx.report.unmapped(path, `${n} replicas: a job runs one replica to completion`);
  ctx.out.replicas = n;
  ctx.report.mapped(path, `services.${ctx.name}.replicas`);
}

/** Maps deploy and the legacy resource keys. */
export function mapDeploy(ctx: ServiceContext): void {
  const { svc, report } = ctx;
  const base = `services.${ctx.name}`;
  const d = svc.deploy;
  const dp = [...ctx.path, 'deploy'];
  if (svc.scale !== undefined && svc.scale !== null) setReplicas(ctx, [...ctx.path, 'scale'], svc.scale);
  if (d?.replicas !== undefined) setReplicas(ctx, [...dp, 'replicas'], d.replicas);
  if (d?.mode === 'global' && ctx.out.kind === 'job')
    report.unmapped([...dp, 'mode'], '`global`: a job runs one replica to completion, not one per node');
  else if (d?.mode === 'global') {
    ctx.out.placement = 'perNode';
    report.mapped([...dp, 'mode'], `${base}.placement`, 'one replica on every node (a DaemonSet on clusters)');
  } else if (d?.mode !== undefined && d.mode !== 'replicated')
    report.unmapped(
      [...dp, 'mode'],
      `\`${d.mode}\`: berth.yaml runs services continuously, replicated or one per node`,
    );

  const limits = amounts(
    ctx,
    [...dp, 'resources', 'limits'],
    d?.resources?.limits?.cpus,
    d?.resources?.limits?.memory,
    `${base}.resources.limits`,
  );
  const requests = amounts(
    ctx,
    [...dp, 'resources', 'reservations'],
    d?.resources?.reservations?.cpus,
    d?.resources?.reservations?.memory,
    `${base}.resources.requests`,
  );
  // Compose's older per-service keys, used when deploy.resources does not say.
  const legacyLimits = amounts(ctx, ctx.path, svc.cpus, undefined, `${base}.resources.limits`);
  const legacyMem = amounts(ctx, [...ctx.path, 'mem_limit'], undefined, svc.mem_limit, `${base}.resources.limits`);
  const legacyReq = amounts(
    ctx,
    [...ctx.path, 'mem_reservation'],
    undefined,
    svc.mem_reservation,
    `${base}.resources.requests`,
  );
  const lim = { ...legacyLimits, ...legacyMem, ...limits };
  const req = { ...legacyReq, ...requests };
  if (Object.keys(lim).length) ctx.out.resources.limits = lim;
  if (Object.keys(req).length) ctx.out.resources.requests = req;
  for (const k of ['limits', 'reservations'] as const) {
    if (d?.resources?.[k]?.pids !== undefined)
      report.unmapped([...dp, 'resources', k, 'pids'], 'Berth sets no process-count limit');
    for (const extra of Object.keys(d?.resources?.[k] ?? {}))
      if (!['cpus', 'memory', 'pids'].includes(extra))
        report.unmapped(
          [...dp, 'resources', k, extra],
          extra === 'devices' ? 'devices (GPUs): berth.yaml requests no devices' : 'Berth has CPU and memory only',
        );
  }

  if (d?.update_config) mapUpdateConfig(ctx, d.update_config, [...dp, 'update_config']);
  if (d?.restart_policy) mapRestartPolicy(ctx, d.restart_policy, [...dp, 'restart_policy']);
  if (d?.placement !== undefined)
    report.unmapped(
      [...dp, 'placement'],
      'node constraints and preferences: berth.yaml does not choose nodes (`placement` says only replicated or one per node)',
    );
  if (d?.rollback_config !== undefined)
    report.unmapped(
      [...dp, 'rollback_config'],
      'Berth rolls a failed release back as a whole (release strategy), not with per-service settings',
    );
  for (const k of ['labels', 'endpoint_mode'])
    if (d?.[k] !== undefined)
      report.unmapped(
        [...dp, k],
        k === 'labels'
          ? 'Berth sets its own labels'
          : 'Berth balances through its own proxy (one machine) or a Service (clusters)',
      );

  if (ctx.out.kind === 'job') mapJobRestart(ctx);
  else if (svc.restart) mapRestart(ctx, svc.restart);
  mapStopSignal(ctx);
  if (svc.stop_grace_period !== undefined && svc.stop_grace_period !== null) {
    const ms = composeDurationMs(svc.stop_grace_period);
    if (ms === undefined)
      problemAt(ctx, [...ctx.path, 'stop_grace_period'], `\`${String(svc.stop_grace_period)}\` is not a duration`);
    else {
      ctx.out.terminationGracePeriod = berthDuration(ms);
      report.mapped(
        [...ctx.path, 'stop_grace_period'],
        `${base}.terminationGracePeriod`,
        `${ctx.out.stopSignal ?? 'SIGTERM'}, then this long, then SIGKILL`,
      );
    }
  }
}

function mapUpdateConfig(
  ctx: ServiceContext,
  u: NonNullable<NonNullable<ServiceContext['svc']['deploy']>['update_config']>,
  path: (string | number)[],
): void {
  const to = `services.${ctx.name}.rollout`;
  // Swarm's defaults: one task at a time, stopping the old one first.
  const parallelism = u.parallelism ?? 1;
  const order = u.order ?? 'stop-first';
  const step: number | string = parallelism === 0 ? '100%' : parallelism;
  ctx.out.rollout =
    order === 'start-first' ? { maxSurge: step, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable: step };
  const key = u.order !== undefined ? [...path, 'order'] : path;
  ctx.report.changed(
    key,
    to,
    `${order}, parallelism ${parallelism}${parallelism === 0 ? ' (all at once)' : ''} → maxSurge ${ctx.out.rollout.maxSurge}, maxUnavailable ${ctx.out.rollout.maxUnavailable}: a rolling update ${order === 'start-first' ? 'starting new replicas before stopping old ones' : 'stopping old replicas before starting new ones'}`,
  );
  if (u.parallelism !== undefined && u.order !== undefined)
    ctx.report.mapped([...path, 'parallelism'], to, 'see order');
  if (u.delay !== undefined)
    ctx.report.unmapped([...path, 'delay'], 'Berth moves to the next replicas as soon as the new ones are ready');
  if (u.failure_action !== undefined)
    ctx.report.unmapped(
      [...path, 'failure_action'],
      'a failed rollout fails the release, which rolls back by the release policy',
    );
  if (u.monitor !== undefined)
    ctx.report.unmapped([...path, 'monitor'], 'Berth watches readiness until `rollout.progressDeadline` instead');
  if (u.max_failure_ratio !== undefined)
    ctx.report.unmapped([...path, 'max_failure_ratio'], 'any failed replica fails the rollout');
}

function mapRestartPolicy(
  ctx: ServiceContext,
  r: NonNullable<NonNullable<ServiceContext['svc']['deploy']>['restart_policy']>,
  path: (string | number)[],
): void {
  const to = `services.${ctx.name}.restart`;
  const job = ctx.out.kind === 'job'; // its condition and max_attempts are mapJobRestart's
  if (job) {
    // nothing: see mapJobRestart
  } else if (r.condition === 'none')
    ctx.report.unmapped(
      [...path, 'condition'],
      '`none`: berth.yaml has no never-restart policy, Berth restarts every replica of a service that exits (a task others wait for becomes `kind: job`)',
    );
  else if (r.condition !== undefined)
    ctx.report.add(
      'changed',
      [...path, 'condition'],
      `\`${r.condition}\`: Berth restarts every replica that exits, with a growing backoff (its default: nothing to write)`,
    );
  const delay = r.delay === undefined ? undefined : composeDurationMs(r.delay);
  if (delay !== undefined) {
    ctx.out.restart = { ...ctx.out.restart, initialBackoff: berthDuration(delay) };
    ctx.report.changed(
      [...path, 'delay'],
      `${to}.initialBackoff`,
      'the first wait; Berth doubles it after each crash up to `maxBackoff`',
    );
  }
  const window = r.window === undefined ? undefined : composeDurationMs(r.window);
  if (window !== undefined && window > 0) {
    ctx.out.restart = { ...ctx.out.restart, resetAfter: berthDuration(window) };
    ctx.report.changed(
      [...path, 'window'],
      `${to}.resetAfter`,
      'a replica that runs this long counts as started well and resets the backoff',
    );
  }
  if (r.max_attempts !== undefined && !job)
    ctx.report.unmapped(
      [...path, 'max_attempts'],
      'Berth never gives up restarting a service; the backoff grows to `maxBackoff`',
    );
}

function mapRestart(ctx: ServiceContext, policy: string): void {
  const path = [...ctx.path, 'restart'];
  // Restarting with a backoff is what berth.yaml means without `restart`: nothing to write.
  if (policy === 'always' || policy === 'unless-stopped')
    ctx.report.add('mapped', path, 'Berth restarts replicas that exit, with a growing backoff (its default)');
  else if (policy.startsWith('on-failure'))
    ctx.report.add(
      'changed',
      path,
      'Berth restarts replicas that exit, also after a clean exit, and never gives up (its default)',
    );
  else if (policy === 'no')
    return; // decideJobs says why the service is not a job
  else problemAt(ctx, path, `\`${policy}\` is not a restart policy (no, always, on-failure[:N], unless-stopped)`);
}

/** Signal numbers compose accepts for `stop_signal` (Linux numbering). */
const SIGNAL_NUMBERS = new Map([
  [1, 'SIGHUP'],
  [2, 'SIGINT'],
  [3, 'SIGQUIT'],
  [10, 'SIGUSR1'],
  [12, 'SIGUSR2'],
  [15, 'SIGTERM'],
  [28, 'SIGWINCH'],
]);

/** `stop_signal` → `stopSignal`: `SIGQUIT`, `QUIT` and `3` all name SIGQUIT. */
function mapStopSignal(ctx: ServiceContext): void {
  const raw = ctx.svc.stop_signal;
  if (raw === undefined || raw === null) return;
  const at = [...ctx.path, 'stop_signal'];
  const text = String(raw).trim().toUpperCase();
  const name = /^\d+$/.test(text) ? SIGNAL_NUMBERS.get(Number(text)) : text.startsWith('SIG') ? text : `SIG${text}`;
  const signal = STOP_SIGNALS.find((s) => s === name);
  if (!signal) {
    ctx.report.unmapped(
      at,
      `\`${String(raw)}\`: Berth stops a service with ${STOP_SIGNALS.join(', ')} (then SIGKILL after \`terminationGracePeriod\`)`,
    );
    return;
  }
  ctx.out.stopSignal = signal;
  ctx.report.add(
    signal === String(raw) ? 'mapped' : 'changed',
    at,
    `${signal} asks the service to stop, then SIGKILL after \`terminationGracePeriod\`${signal === String(raw) ? '' : ` (written as ${signal})`}`,
    `services.${ctx.name}.stopSignal`,
  );
}
