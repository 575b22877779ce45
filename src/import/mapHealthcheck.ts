/**
 * `healthcheck` → a readiness probe (and, with --liveness, a liveness probe). `CMD` becomes an
 * `exec` probe with that argv, `CMD-SHELL` and a plain string an `exec` probe run by `/bin/sh -c`,
 * and a `curl`/`wget` of localhost an `http` probe, which needs neither tool and follows `$PORT`
 * on one machine. Compose's timing defaults (30s interval and timeout, 3 retries) are written out,
 * since Berth's defaults differ. `start_period` is a grace period where failures do not count:
 * readiness starts probing at once (failing only means "not ready yet"), liveness waits it out.
 */
import { berthDuration, composeDurationMs } from './composeUnits.js';
import type { ProbeOut, ServiceContext } from './context.js';
import { literal, problemAt } from './context.js';
import { testOf } from './mapDependsOn.js';
import { shellWords } from './shellWords.js';

const COMPOSE_INTERVAL_MS = 30_000;
const COMPOSE_TIMEOUT_MS = 30_000;
const COMPOSE_RETRIES = 3;

const LOCAL_URL = /^https?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d+))?(\/[^#]*)?(?:#.*)?$/;
// Options that only change how the check is printed or how long it may take, not what it checks.
const QUIET_OPTION =
  /^(?:-[fsSLqk]+|--(?:fail|silent|show-error|location|insecure|quiet|spider|no-verbose|tries=\d+|timeout=\d+|max-time=\d+)|-qO-|-O-)$/;
const OPTION_WITH_VALUE = /^(?:-o|-O|-m|-T|--max-time|--output)$/;

/** An `http` probe for `curl -f http://localhost:8080/health` and the like, or undefined. */
export function httpProbeOf(shell: string): { path: string; port?: number } | undefined {
  const words = shellWords(shell.trim().replace(/\s*\|\|\s*exit\s+1\s*$/, ''));
  if (!words || !['curl', 'wget'].includes(words[0] ?? '')) return undefined;
  let url: RegExpExecArray | undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    const m = LOCAL_URL.exec(w);
    if (m && !url) url = m;
    else if (OPTION_WITH_VALUE.test(w)) i++;
    else if (!QUIET_OPTION.test(w)) return undefined;
  }
  if (!url) return undefined;
  return { path: url[2] ?? '/', ...(url[1] ? { port: Number(url[1]) } : {}) };
}

function duration(ctx: ServiceContext, key: string, value: unknown, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const ms = composeDurationMs(value);
  if (ms === undefined) {
    problemAt(
      ctx,
      [...ctx.path, 'healthcheck', key],
      `\`${String(value)}\` is not a duration (e.g. 30s, 1m30s, 500ms)`,
    );
    return fallbackMs;
  }
  return ms;
}

/** Maps healthcheck into `health`. */
export function mapHealthcheck(ctx: ServiceContext): void {
  const hc = ctx.svc.healthcheck;
  if (hc === undefined || hc === null) return;
  const at = [...ctx.path, 'healthcheck'];
  const to = `services.${ctx.name}.health`;
  const kind = testOf(hc.test);
  if (hc.disable || kind === 'NONE') {
    ctx.report.add('mapped', at, 'disabled: no probes (what berth.yaml means without `health`)');
    return;
  }
  if (kind === undefined) {
    ctx.report.unmapped(at, "no `test`: the image's own HEALTHCHECK is not visible to Berth; add a probe");
    return;
  }
  const test = hc.test!;
  let check: Pick<ProbeOut, 'http' | 'exec'>;
  let how: string;
  if (kind === 'CMD' || kind === 'CMD-SHELL' || kind === 'SHELL') {
    const args = typeof test === 'string' ? [test] : test.slice(1);
    if (args.length === 0) return problemAt(ctx, [...at, 'test'], `\`${kind}\` needs a command`);
    const shell = kind === 'CMD' ? undefined : args.join(' ');
    const http = httpProbeOf(shell ?? args.join(' '));
    if (http) {
      const primary = ctx.out.ports[0]?.port;
      const port = http.port === undefined || http.port === primary ? undefined : http.port;
      check = { http: { path: literal(http.path), ...(port === undefined ? {} : { port }) } };
      how = `\`${shell ?? args.join(' ')}\` became an \`http\` probe of ${http.path}${port === undefined ? ' on the service port ($PORT on one machine)' : ` on port ${port}`}: no curl or wget needed`;
    } else {
      check = { exec: { command: shell === undefined ? args.map(literal) : ['/bin/sh', '-c', literal(shell)] } };
      how = kind === 'CMD' ? 'an `exec` probe with the same argv' : 'an `exec` probe run by /bin/sh -c';
    }
  } else {
    return problemAt(ctx, [...at, 'test'], `\`${kind}\` is not a healthcheck test type (CMD, CMD-SHELL or NONE)`);
  }

  const periodMs = duration(ctx, 'interval', hc.interval, COMPOSE_INTERVAL_MS);
  const timeoutMs = duration(ctx, 'timeout', hc.timeout, COMPOSE_TIMEOUT_MS);
  const startMs = duration(ctx, 'start_period', hc.start_period, 0);
  const retries = hc.retries ?? COMPOSE_RETRIES;
  if (periodMs === 0 || timeoutMs === 0) return problemAt(ctx, at, 'interval and timeout must be longer than 0');
  const timing = {
    period: berthDuration(periodMs),
    timeout: berthDuration(timeoutMs),
    failureThreshold: Math.max(1, retries),
  };
  ctx.out.health.readiness = { ...check, ...timing };
  const notes = [how, `every ${timing.period}, timeout ${timing.timeout}, ${timing.failureThreshold} failures`];
  if (retries < 1) notes.push('retries 0 became 1 (Berth needs at least one failure)');
  if (hc.start_interval !== undefined) ctx.report.unmapped([...at, 'start_interval'], 'Berth probes at one interval');
  if (ctx.options.liveness) {
    ctx.out.health.liveness = { ...check, ...timing, ...(startMs > 0 ? { initialDelay: berthDuration(startMs) } : {}) };
    notes.push(
      `also a liveness probe${startMs > 0 ? ` that starts after start_period (${berthDuration(startMs)})` : ''}: Berth restarts a replica that fails it`,
    );
  } else {
    notes.push(
      'readiness only: compose does not restart unhealthy containers (use --liveness to add a liveness probe)',
    );
    if (startMs > 0)
      ctx.report.changed(
        [...at, 'start_period'],
        `${to}.readiness`,
        'readiness probes from the start; failures before it passes only mean "not ready yet"',
      );
  }
  ctx.report.changed(at, `${to}.readiness`, notes.join('; '));
}
