/**
 * Readiness and liveness probes with Kubernetes semantics: http (2xx/3xx within the timeout), tcp
 * (connect) or exec (exit 0), run every `periodMs` after `initialDelayMs`; the probe's verdict flips
 * only after `successThreshold` consecutive successes or `failureThreshold` consecutive failures.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { message, type Message, type MessageParams, type ReasonCode } from '../../model/messages.js';
import type { Probe } from '../../model/probe.js';
import type { ProbeAccess } from './runner.js';

/** Where a probe is aimed. */
export interface ProbeTarget {
  host: string;
  /** The replica's $PORT, used when the probe names no port. */
  port: number;
  /** Environment and working directory of exec probes (the replica's own). */
  env: Record<string, string>;
  cwd?: string;
  /** How the run is reached (a container's published ports, exec inside it); absent: directly. */
  access?: ProbeAccess;
}

/** The outcome of one probe attempt. */
export interface ProbeResult {
  ok: boolean;
  /** What the attempt found, in English (the CLI's words; `detail.text`). */
  message: string;
  /** `message` as a code with params, for the console to translate. */
  detail: Message;
}

/** A probe attempt's outcome from its message code (`message` is the code's English text). */
export function probeResult(ok: boolean, code: ReasonCode, params: MessageParams = {}): ProbeResult {
  const detail = message(code, params);
  return { ok, message: detail.text, detail };
}

/** The port a probe connects to: its own or the replica's, as reached from the host. */
function portOf(port: number | undefined, target: ProbeTarget): number {
  return target.access ? target.access.hostPort(port) : (port ?? target.port);
}

/** Runs one probe attempt; never throws. */
export function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeResult> {
  switch (probe.kind) {
    case 'http':
      return httpProbe(target.host, portOf(probe.port, target), probe.path, probe.timeoutMs);
    case 'tcp':
      return tcpProbe(target.host, portOf(probe.port, target), probe.timeoutMs);
    case 'exec':
      return target.access?.exec
        ? target.access.exec(probe.command, probe.timeoutMs)
        : execProbe(probe.command, target, probe.timeoutMs);
  }
}

/** Longest response head an http probe reads (Node's own default limit). */
const MAX_HEAD_BYTES = 16 * 1024;

/**
 * GET `path` on a connection of its own, closed after the response's head, as the kubelet's probe
 * does (no keep-alive: a server that stopped accepting connections must fail it). Written on a plain
 * socket: the status line and the end of the head are all a probe needs; Node's HTTP client (agent,
 * parser, response stream) took ~1/3 more CPU per probe (0.70 vs 0.47 ms measured, loaded), and
 * an idle control plane runs one probe per replica per period.
 */
function httpProbe(host: string, port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  // What Node's HTTP client refuses to send.
  if ([...path].some((c) => c <= ' ' || c >= '\u007f'))
    return Promise.resolve(
      probeResult(false, 'probe.httpError', { path, error: 'Request path contains unescaped characters' }),
    );
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const fail = (error: string): void => settle(probeResult(false, 'probe.httpError', { path, error }));
    const sock = connect({ host, port });
    // One deadline for the whole exchange: a server that trickles bytes never trips an idle timeout.
    const timer = setTimeout(() => settle(probeResult(false, 'probe.httpTimeout', { path, timeoutMs })), timeoutMs);
    const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    sock.setNoDelay(true);
    sock.write(`GET ${path} HTTP/1.1\r\nHost: ${authority}\r\nUser-Agent: berth-probe\r\nConnection: close\r\n\r\n`);
    let head = '';
    sock.setEncoding('latin1');
    sock.on('data', (chunk: string) => {
      head += chunk;
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) fail('Parse Error: Header overflow');
        return;
      }
      const m = /^HTTP\/\d\.\d (\d{3})[ \r]/.exec(head);
      if (!m) return fail('Parse Error: Expected HTTP/');
      const status = Number(m[1]);
      // An interim response (100 Continue) is followed by the real one.
      if (status >= 100 && status < 200) {
        head = head.slice(end + 4);
        return;
      }
      settle(probeResult(status >= 200 && status < 400, 'probe.httpStatus', { status, path }));
    });
    sock.once('end', () => fail('socket hang up'));
    sock.once('error', (err) => fail(err.message));
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const address = `${host}:${port}`;
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(probeResult(false, 'probe.tcpTimeout', { address, timeoutMs }));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(probeResult(true, 'probe.tcpConnected', { address }));
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      resolve(probeResult(false, 'probe.tcpError', { address, error: err.message }));
    });
  });
}

/** How long an exec probe's stderr may take to drain after the command exited. */
const EXEC_DRAIN_MS = 100;

function execProbe(command: string[], target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const [file, ...args] = command;
    if (!file) {
      resolve(probeResult(false, 'probe.execEmpty'));
      return;
    }
    let settled = false;
    let stderr = '';
    const settle = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    // Its own process group, so a timeout kills what the command started too (a shell's children
    // would otherwise hold its pipes open and the probe would never finish).
    const child = spawn(file, args, {
      env: target.env,
      cwd: target.cwd,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const timer = setTimeout(() => {
      killProbeGroup(child.pid);
      settle(probeResult(false, 'probe.execTimeout', { file, timeoutMs }));
    }, timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    child.once('error', (err) => settle(probeResult(false, 'probe.execError', { file, error: err.message })));
    child.once('exit', (code, signal) => {
      // Whatever the command left behind goes with it, so its pipes close and the verdict comes now.
      killProbeGroup(child.pid);
      const verdict = (): void => {
        if (code === 0) return settle(probeResult(true, 'probe.execOk', { file }));
        settle(execFailed(file, code, signal, stderr));
      };
      child.once('close', verdict);
      setTimeout(verdict, EXEC_DRAIN_MS).unref();
    });
  });
}

/**
 * A command's failed exit as a probe result: how it ended and the last line of its stderr (an exec
 * probe inside a container reports its exit the same way).
 */
export function execFailed(file: string, code: number | null, signal: string | null, stderr: string): ProbeResult {
  const tail = stderr.trim().split('\n').pop();
  const params = { file, stderr: tail ? message('probe.stderr', { line: tail }) : '' };
  return code !== null
    ? probeResult(false, 'probe.execExitCode', { ...params, code })
    : probeResult(false, 'probe.execKilled', { ...params, signal: String(signal) });
}

function killProbeGroup(pid: number | undefined): void {
  if (pid === undefined || pid <= 1) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Scheduling primitives, injectable so tests can drive time. */
export interface ProbeTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: ProbeTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Runs a probe periodically and reports when its verdict changes. */
export class ProbeWorker {
  private timer: unknown;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private verdict: boolean | undefined;
  /** The last attempt's message (why it failed, typically). */
  lastMessage = '';
  /** `lastMessage` as a code with params (undefined before the first attempt). */
  lastDetail: Message | undefined;

  private readonly probe: Probe;
  private readonly target: ProbeTarget;
  private readonly onChange: (healthy: boolean, message: string, detail: Message) => void;
  private readonly timers: ProbeTimers;
  private readonly startupPollMs: number | undefined;

  /**
   * `startupPollMs` (readiness only): while not ready, probe this often (at most every `periodMs`),
   * so a replica joins traffic within ~25 ms of being ready rather than up to a whole period later;
   * once ready, the configured period applies.
   */
  constructor(
    probe: Probe,
    target: ProbeTarget,
    onChange: (healthy: boolean, message: string, detail: Message) => void,
    opts: { timers?: ProbeTimers; startupPollMs?: number } = {},
  ) {
    this.probe = probe;
    this.target = target;
    this.onChange = onChange;
    this.timers = opts.timers ?? realTimers;
    this.startupPollMs = opts.startupPollMs;
  }

  /** Starts probing after the probe's initial delay (or `delayMs` when given). */
  start(delayMs = this.probe.initialDelayMs): void {
    this.stopped = false;
    this.schedule(delayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const r = await runProbe(this.probe, this.target);
    if (this.stopped) return;
    this.lastMessage = r.message;
    this.lastDetail = r.detail;
    if (r.ok) {
      this.successes++;
      this.failures = 0;
      if (this.verdict !== true && this.successes >= Math.max(1, this.probe.successThreshold)) {
        this.verdict = true;
        this.onChange(true, r.message, r.detail);
      }
    } else {
      this.failures++;
      this.successes = 0;
      if (this.verdict !== false && this.failures >= Math.max(1, this.probe.failureThreshold)) {
        this.verdict = false;
        this.onChange(false, r.message, r.detail);
      }
    }
    const starting = this.startupPollMs !== undefined && this.verdict !== true;
    this.schedule(starting ? Math.min(this.probe.periodMs, this.startupPollMs!) : this.probe.periodMs);
  }
}
