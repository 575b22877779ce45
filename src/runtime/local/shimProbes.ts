/**
 * Probes the native shim runs itself (native/shim/probe.c): http and tcp readiness and liveness of a
 * process replica. The control plane passes them in the shim's environment and reads only their
 * changes, from probes.json in the replica directory (woken by the inotify watch it already holds for
 * exit.json), instead of a connection per replica per period through its own event loop (~0.35 ms of
 * its CPU per probe). Same semantics and texts as ProbeWorker (probes.ts); exec probes, containers and
 * the Node shim keep the control plane's probes.
 */
import { join } from 'node:path';
import type { Message, ReasonCode } from '../../model/messages.js';
import type { Probe } from '../../model/probe.js';
import { probeResult } from './probes.js';
import { PROBES_FILE, readJsonFile, type ShimProbeName, type ShimProbesFile } from './shimFiles.js';

export type { ShimProbeName, ShimProbesFile } from './shimFiles.js';

/** The environment variable that lists the shim's probes (never passed on to the command). */
export const SHIM_PROBES_ENV = 'BERTH_SHIM_PROBES';

/** A readiness probe polls this often until the replica is ready (as ReplicaProbes' startupPollMs). */
export const STARTUP_POLL_MS = 25;

/**
 * The longest http path the native shim takes (probe.c: its request line and probe line buffers, 1,200
 * bytes each, hold the path and ~100 bytes more); a longer one stays with the control plane's probe.
 */
export const SHIM_MAX_PATH = 1000;

/**
 * Whether a shim that runs probes runs `probe`: http and tcp (exec runs in the control plane, as the
 * replica's user); an http path probes.ts refuses (spaces, control characters) stays there too, for its
 * message, and so does one longer than the shim's buffers (the shim would drop it and never answer).
 */
export function runsInShim(probe: Probe | undefined): probe is Probe & { kind: 'http' | 'tcp' } {
  if (probe === undefined || probe.kind === 'exec') return false;
  if (probe.kind === 'tcp') return true;
  return probe.path.length <= SHIM_MAX_PATH && ![...probe.path].some((c) => c <= ' ' || c >= '\u007f');
}

/**
 * BERTH_SHIM_PROBES for a replica's probes (one line each, the path last: it has no spaces or
 * control characters, as probes.ts refuses them), or undefined when the shim has none to run.
 */
export function shimProbesSpec(
  spec: { readiness?: Probe | undefined; liveness?: Probe | undefined },
  replicaPort: number,
): string | undefined {
  const lines: string[] = [];
  for (const name of ['readiness', 'liveness'] as const) {
    const p = spec[name];
    if (!runsInShim(p)) continue;
    const poll = name === 'readiness' ? STARTUP_POLL_MS : 0;
    const fields = [name, p.kind, p.port ?? replicaPort, p.timeoutMs, p.periodMs, p.initialDelayMs];
    fields.push(p.failureThreshold, p.successThreshold, poll);
    lines.push([...fields, ...(p.kind === 'http' ? [p.path] : [])].join(' '));
  }
  return lines.length ? lines.join('\n') : undefined;
}

/** Path of a replica's probes.json. */
export function probesFile(replicaDir: string): string {
  return join(replicaDir, PROBES_FILE);
}

/** probes.json of a replica directory, or undefined when absent or unreadable. */
export function readShimProbes(replicaDir: string): ShimProbesFile | undefined {
  return readJsonFile<ShimProbesFile>(probesFile(replicaDir));
}

/** The control plane's side of one probe the shim runs: turns probes.json's changes into ProbeWorker's reports. */
export class ShimProbe {
  /** The last attempt's message (what the shim last recorded). */
  lastMessage = '';
  /** `lastMessage` as a code with params (undefined before the first attempt). */
  lastDetail: Message | undefined;
  private verdict: boolean | undefined;
  private downs = 0;

  private readonly name: ShimProbeName;
  private readonly onChange: (healthy: boolean, message: string, detail: Message) => void;

  constructor(name: ShimProbeName, onChange: (healthy: boolean, message: string, detail: Message) => void) {
    this.name = name;
    this.onChange = onChange;
  }

  /**
   * The first read of a run's probes.json: failures it recovered from before this control plane
   * looked (an adopted run) are history, not reported; a failing verdict is.
   */
  begin(file: ShimProbesFile | undefined): void {
    this.downs = file?.[this.name]?.downs ?? 0;
    if (file) this.update(file);
  }

  /** Takes in what probes.json says now; reports each change of verdict, and a failure missed between two reads. */
  update(file: ShimProbesFile): void {
    const e = file[this.name];
    if (!e?.code) return;
    const ok = e.verdict === true;
    const r = probeResult(ok, e.code as ReasonCode, e.params ?? {});
    this.lastMessage = r.message;
    this.lastDetail = r.detail;
    const missedDown = e.downs > this.downs && this.verdict !== false && e.verdict !== false;
    this.downs = e.downs;
    if (missedDown) {
      this.verdict = false;
      this.onChange(false, r.message, r.detail);
    }
    if (e.verdict === null || e.verdict === this.verdict) return;
    this.verdict = e.verdict;
    this.onChange(e.verdict, r.message, r.detail);
  }
}
