/**
 * Deliveries to the control plane's webhook endpoint (`/api/v1/hooks/<provider>/<app>`) as the git hosts send
 * them: GitHub's body signed with HMAC-SHA256 in X-Hub-Signature-256, GitLab's secret itself in X-Gitlab-Token.
 * Bodies start from the recorded samples in test/fixtures/webhooks/.
 */
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/webhooks/', import.meta.url));

/** A recorded sample delivery body, e.g. `github/push.json` or `gitlab/merge_request-open.json`. */
export async function sample(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(FIXTURES, path), 'utf8')) as Record<string, unknown>;
}

/** GitHub's X-Hub-Signature-256 of `body` under `secret`. */
export function signGitHub(body: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface GitHubDelivery {
  /** X-GitHub-Event: push, pull_request, ping, ... */
  event: string;
  /** X-GitHub-Delivery. */
  deliveryId: string;
  /** The body is signed with it. */
  secret: string;
  /** Sent byte for byte; an object is sent as its JSON. */
  body: Buffer | string | Record<string, unknown>;
  /** Sent instead of the body's signature (a forgery). */
  signature?: string;
}

const bytes = (body: Buffer | string | Record<string, unknown>): Buffer | string =>
  Buffer.isBuffer(body) || typeof body === 'string' ? body : Buffer.from(JSON.stringify(body));

/** POSTs a signed GitHub delivery to app `app`'s hook on the control plane at `url`. */
export function sendGitHub(url: string, app: string, d: GitHubDelivery): Promise<Response> {
  const body = bytes(d.body);
  return fetch(`${url}/api/v1/hooks/github/${app}`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': d.event,
      'x-github-delivery': d.deliveryId,
      'x-hub-signature-256': d.signature ?? signGitHub(body, d.secret),
    },
  });
}

export interface GitLabDelivery {
  /** X-Gitlab-Event: Push Hook, Merge Request Hook, ... */
  event: string;
  /** X-Gitlab-Event-UUID. */
  deliveryId: string;
  /** Sent as X-Gitlab-Token. */
  token: string;
  body: Buffer | string | Record<string, unknown>;
}

/** POSTs a GitLab delivery (its token variant) to app `app`'s hook on the control plane at `url`. */
export function sendGitLab(url: string, app: string, d: GitLabDelivery): Promise<Response> {
  return fetch(`${url}/api/v1/hooks/gitlab/${app}`, {
    method: 'POST',
    body: bytes(d.body),
    headers: {
      'content-type': 'application/json',
      'x-gitlab-event': d.event,
      'x-gitlab-event-uuid': d.deliveryId,
      'x-gitlab-token': d.token,
    },
  });
}

/** GitHub's push sample (or `base`) pushing `after` to `ref` (default refs/heads/main), as bytes to sign. */
export async function pushBody(
  { ref = 'refs/heads/main', after }: { ref?: string; after: string },
  base?: Record<string, unknown>,
): Promise<Buffer> {
  return Buffer.from(JSON.stringify({ ...(base ?? (await sample('github/push.json'))), ref, after }));
}
