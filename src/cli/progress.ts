/**
 * Follows a release until it finishes, printing its events as they happen (server-sent events), and
 * any automatic rollback that follows. Returns the final release.
 */
import type { Client } from './client.js';
import type { Release, ReleaseEvent } from '../release/releases.js';
import { bold, clock, dim, green, red, yellow } from './output.js';

const base = (r: Release): string => `/api/v1/apps/${r.app}/envs/${r.env}`;

function printEvent(e: ReleaseEvent): void {
  const who = e.service ? `${e.service}`.padEnd(12) : ''.padEnd(12);
  const reason = (e.type === 'Warning' ? yellow : (s: string) => s)(e.reason.padEnd(12));
  process.stderr.write(`${dim(clock(e.time))} ${who} ${reason} ${e.message}\n`);
}

/** Streams one release's events; resolves with its final state. */
async function followOne(client: Client, release: Release, quiet: boolean, signal?: AbortSignal): Promise<Release> {
  let last = release;
  for await (const msg of client.events(
    `${base(release)}/releases/${release.revision}/events`,
    { follow: true },
    signal,
  )) {
    if (msg.event === 'event' && !quiet) printEvent(msg.data as ReleaseEvent);
    if (msg.event === 'release') last = msg.data as Release;
  }
  return last;
}

/** Follows a release and the automatic rollback a failure triggers; resolves with the last one. */
export async function followRelease(
  client: Client,
  release: Release,
  opts: { quiet?: boolean; signal?: AbortSignal } = {},
): Promise<Release> {
  const quiet = opts.quiet ?? false;
  if (!quiet)
    process.stderr.write(`${bold(`${release.kind} ${release.app} revision ${release.revision} → ${release.env}`)}\n`);
  let final = await followOne(client, release, quiet, opts.signal);
  if (!quiet) summary(final);
  if (final.status === 'failed' && final.rollbackPolicy === 'auto') {
    // The engine creates the rollback right after the failure; find and follow it.
    const [next] = await client.get<Release[]>(`${base(final)}/releases`, { limit: 1 });
    if (next && next.revision > final.revision && next.kind === 'auto-rollback') {
      const rb = await followOne(client, next, quiet, opts.signal);
      if (!quiet) {
        summary(rb);
        process.stderr.write(`rolled back to revision ${rb.sourceRevision} as revision ${rb.revision}: ${rb.status}\n`);
      }
      final = {
        ...final,
        reason: `${final.reason ?? 'failed'} (rolled back to revision ${rb.sourceRevision} as revision ${rb.revision}: ${rb.status})`,
      };
    }
  }
  return final;
}

function summary(r: Release): void {
  if (r.status === 'succeeded')
    process.stderr.write(
      `${green('✓')} revision ${r.revision} ${r.kind === 'down' ? 'took the app down' : 'is live'}\n`,
    );
  else process.stderr.write(`${red('✗')} revision ${r.revision} ${r.status}${r.reason ? `: ${r.reason}` : ''}\n`);
}
