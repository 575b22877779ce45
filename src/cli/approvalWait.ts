/**
 * An operation that waits for approvals, from the CLI (docs/access.md, Approvals): into an environment
 * that needs approvals the server answers 202 with an approval request instead of running (or one was
 * asked for with `--ask`). The command prints what it waits for; with `--wait` it follows the request
 * to its end and then the release it started.
 */
import type { Client } from './client.js';
import type { OutputFormat } from './output.js';
import { dim, printData } from './output.js';
import { followRelease } from './progress.js';
import type { Release } from '../release/releases.js';
import { FINAL_APPROVAL_STATES, type ApprovalRequest } from '../model/approvals.js';

const POLL_MS = 1000;

/** The `--ask` option's help text. */
export const ASK_HELP =
  'ask for it: record an approval request with this reason, run once others approved it (when you may not do it yourself)';

/** `waiting for 2 approvals: request #7 (expires 2026-12-07 17:40 UTC)`. */
export function waitingText(a: ApprovalRequest): string {
  const left = Math.max(0, a.required - a.approvals.length);
  const by = a.approvals.length ? `, approved so far by ${a.approvals.map((v) => v.name).join(', ')}` : '';
  return `waiting for ${left} approval${left === 1 ? '' : 's'}: request #${a.id} (expires ${a.expiresAt.slice(0, 16).replace('T', ' ')} UTC${by})`;
}

/** How an ended request ended, in words. */
export function endText(a: ApprovalRequest): string {
  switch (a.state) {
    case 'done':
      return `request #${a.id} approved by ${a.approvals.map((v) => v.name).join(', ')}: ${
        a.result?.revision !== undefined ? `revision ${a.result.revision}` : `config version ${a.result?.configVersion}`
      } of ${a.app} in ${a.env} started`;
    case 'failed':
      return `request #${a.id} was approved but failed: ${a.error ?? 'unknown error'}`;
    case 'rejected':
      return `request #${a.id} was rejected by ${a.endedBy ?? '?'}: ${a.endReason ?? ''}`;
    case 'withdrawn':
      return `request #${a.id} was withdrawn by ${a.endedBy ?? a.author}`;
    case 'expired':
      return `request #${a.id} expired at ${a.expiresAt} with ${a.approvals.length} of ${a.required} approvals`;
    default:
      return waitingText(a);
  }
}

/** Polls request `a` until it ends. */
export async function followApproval(client: Client, a: ApprovalRequest, quiet: boolean): Promise<ApprovalRequest> {
  let seen = a.approvals.length;
  let cur = a;
  while (!FINAL_APPROVAL_STATES.includes(cur.state)) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    cur = await client.get<ApprovalRequest>(`/api/v1/approvals/${a.id}`);
    for (const v of cur.approvals.slice(seen)) if (!quiet) process.stderr.write(dim(`approved by ${v.name}\n`));
    seen = cur.approvals.length;
  }
  return cur;
}

/**
 * What a command does with an approval request it got: prints it (or its data with `-o`); with
 * `follow`, waits for its end and follows the release it started. Sets a failing exit code when it
 * did not run, or its release failed.
 */
export async function settleApproval(
  client: Client,
  output: OutputFormat,
  a: ApprovalRequest,
  follow: boolean | undefined,
): Promise<void> {
  const quiet = output !== 'table';
  if (!follow) {
    if (quiet) return printData(output, a);
    process.stdout.write(`${waitingText(a)}\n`);
    return;
  }
  if (!quiet) process.stderr.write(`${waitingText(a)}\n`);
  const ended = await followApproval(client, a, quiet);
  if (ended.state !== 'done') process.exitCode = 1;
  if (!quiet) process.stdout.write(`${endText(ended)}\n`);
  const revision = ended.result?.revision;
  if (revision !== undefined) {
    const path = `/api/v1/apps/${encodeURIComponent(ended.app)}/envs/${encodeURIComponent(ended.env)}/releases/${revision}`;
    const final = await followRelease(client, await client.get<Release>(path), { quiet });
    if (final.status !== 'succeeded') process.exitCode = 1;
  }
  if (quiet) await printData(output, await client.get<ApprovalRequest>(`/api/v1/approvals/${ended.id}`));
}

/** What `--ask` sends: the operation's body, for `POST /api/v1/approvals`. */
export interface Asked {
  action: ApprovalRequest['action'];
  app: string;
  env: string;
  request: Record<string, unknown>;
  reason: string;
}

/** Asks for an operation explicitly (`--ask REASON`), then prints or follows the request as `settleApproval`. */
export async function askApproval(
  client: Client,
  output: OutputFormat,
  ask: Asked,
  follow: boolean | undefined,
): Promise<void> {
  return settleApproval(client, output, await client.post<ApprovalRequest>('/api/v1/approvals', ask), follow);
}
