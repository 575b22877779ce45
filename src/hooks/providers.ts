/**
 * The three webhook dialects Berth takes: which header names the event, which the delivery id, and
 * how a delivery proves it knows the app's secret. Forgejo speaks Gitea's dialect with `X-Forgejo-*`
 * headers (Gitea's are read first).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { GitProvider } from '../model/delivery.js';
import { validHmac, sameText } from './verify.js';

/** What kind of event a delivery is, as Berth acts on it. */
export type HookEventKind = 'push' | 'pull_request' | 'ping';

export interface HookProvider {
  provider: GitProvider;
  /** The header names, for messages (the first of each is the one documented). */
  eventHeaders: readonly string[];
  deliveryHeaders: readonly string[];
  signatureHeaders: readonly string[];
  /** Undefined when the delivery is authentic; else why not (answered with 401). */
  authenticate(headers: IncomingHttpHeaders, body: Buffer, secret: string): string | undefined;
  /** The kind of an event header's value; undefined for an event Berth does not act on. */
  kind(event: string): HookEventKind | undefined;
}

/** A header's value (the first when repeated); undefined when absent or empty. */
export function header(headers: IncomingHttpHeaders, names: readonly string[]): string | undefined {
  for (const name of names) {
    const v = headers[name.toLowerCase()];
    const s = Array.isArray(v) ? v[0] : v;
    if (s !== undefined && s.trim() !== '') return s.trim();
  }
  return undefined;
}

const github: HookProvider = {
  provider: 'github',
  eventHeaders: ['X-GitHub-Event'],
  deliveryHeaders: ['X-GitHub-Delivery'],
  signatureHeaders: ['X-Hub-Signature-256'],
  authenticate(headers, body, secret) {
    const given = header(headers, this.signatureHeaders);
    if (given === undefined)
      return 'no X-Hub-Signature-256 header: give the webhook a secret in GitHub (the same as the pipeline’s)';
    const hex = /^sha256=([0-9a-fA-F]{64})$/.exec(given)?.[1];
    if (hex === undefined) return 'X-Hub-Signature-256 is not sha256=<64 hex digits>';
    return validHmac(hex, secret, body)
      ? undefined
      : 'X-Hub-Signature-256 does not match the body signed with the app’s webhook secret';
  },
  kind: (event) =>
    event === 'push' ? 'push' : event === 'pull_request' ? 'pull_request' : event === 'ping' ? 'ping' : undefined,
};

const gitlab: HookProvider = {
  provider: 'gitlab',
  eventHeaders: ['X-Gitlab-Event'],
  // Idempotency-Key stays the same when GitLab retries a delivery; X-Gitlab-Event-UUID names the event.
  deliveryHeaders: ['Idempotency-Key', 'X-Gitlab-Event-UUID'],
  signatureHeaders: ['X-Gitlab-Token'],
  authenticate(headers, _body, secret) {
    const given = header(headers, this.signatureHeaders);
    if (given === undefined)
      return 'no X-Gitlab-Token header: give the webhook a secret token in GitLab (the same as the pipeline’s)';
    return sameText(given, secret) ? undefined : 'X-Gitlab-Token is not the app’s webhook secret';
  },
  kind: (event) =>
    event === 'Push Hook' || event === 'Tag Push Hook'
      ? 'push'
      : event === 'Merge Request Hook'
        ? 'pull_request'
        : undefined,
};

const gitea: HookProvider = {
  provider: 'gitea',
  eventHeaders: ['X-Gitea-Event', 'X-Forgejo-Event'],
  deliveryHeaders: ['X-Gitea-Delivery', 'X-Forgejo-Delivery'],
  signatureHeaders: ['X-Gitea-Signature', 'X-Forgejo-Signature'],
  authenticate(headers, body, secret) {
    const given = header(headers, this.signatureHeaders);
    if (given === undefined)
      return 'no X-Gitea-Signature (or X-Forgejo-Signature) header: give the webhook a secret in Gitea (the same as the pipeline’s)';
    if (!/^[0-9a-fA-F]{64}$/.test(given)) return 'X-Gitea-Signature is not 64 hex digits';
    return validHmac(given, secret, body)
      ? undefined
      : 'X-Gitea-Signature does not match the body signed with the app’s webhook secret';
  },
  kind: (event) => (event === 'push' ? 'push' : event === 'pull_request' ? 'pull_request' : undefined),
};

/** The providers by the URL's `{provider}` segment (`forgejo` is Gitea's dialect). */
export const HOOK_PROVIDERS: ReadonlyMap<string, HookProvider> = new Map([
  ['github', github],
  ['gitlab', gitlab],
  ['gitea', gitea],
  ['forgejo', gitea],
]);
