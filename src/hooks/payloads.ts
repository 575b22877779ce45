/**
 * Webhook payloads read into the pipelines' events (src/model/delivery.ts): a push's branch, commit
 * and whether it deleted the ref; a pull (merge) request's action, branches and head commit. A field
 * the event needs and the payload lacks is a 400 naming it (`pull_request.head.sha`).
 */
import { ValidationError } from '../errors.js';
import type { GitProvider, PullRequestEvent, PushEvent } from '../model/delivery.js';

/** What a payload came to: an event for the pipelines, or why Berth does not act on it. */
export type ReadPayload =
  | { kind: 'push'; event: PushEvent }
  | { kind: 'pull_request'; event: PullRequestEvent }
  | { kind: 'ignored'; reason: string };

const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const ZEROS = /^0+$/;

/** The value at a dotted path, read through own keys only; undefined when any step is missing. */
function at(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

class Reader {
  private readonly payload: unknown;
  private readonly what: string;

  constructor(payload: unknown, what: string) {
    this.payload = payload;
    this.what = what;
  }

  bad(path: string, message: string): ValidationError {
    return new ValidationError(`the ${this.what} payload's ${path} ${message}`, [
      { file: 'request body', path, message },
    ]);
  }

  /** A non-empty string at `path`, or a 400 naming it. */
  text(path: string): string {
    const v = at(this.payload, path);
    if (typeof v !== 'string' || v === '')
      throw this.bad(path, v === undefined ? 'is missing' : 'is not a non-empty string');
    return v;
  }

  /** The first non-empty string among `paths`, or undefined. */
  optional(...paths: string[]): string | undefined {
    for (const p of paths) {
      const v = at(this.payload, p);
      if (typeof v === 'string' && v !== '') return v;
    }
    return undefined;
  }

  commit(path: string): string {
    const v = this.text(path).toLowerCase();
    if (!COMMIT.test(v)) throw this.bad(path, 'is not a commit id (40 or 64 hex digits)');
    return v;
  }

  number(...paths: string[]): number {
    for (const p of paths) {
      const v = at(this.payload, p);
      if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
    }
    throw this.bad(paths[0]!, 'is missing or not a positive integer');
  }

  flag(path: string): boolean {
    return at(this.payload, path) === true;
  }

  /** The clone URLs among `paths` (https first, as listed), deduplicated. */
  urls(...paths: string[]): string[] {
    return [
      ...new Set(paths.map((p) => at(this.payload, p)).filter((v): v is string => typeof v === 'string' && v !== '')),
    ];
  }
}

const branchOf = (ref: string): string | undefined =>
  ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;

/** A GitHub or Gitea/Forgejo push (the two share the payload's shape). */
function hubPush(provider: GitProvider, deliveryId: string, r: Reader): PushEvent {
  const ref = r.text('ref');
  const after = r.text('after').toLowerCase();
  const deleted = r.flag('deleted') || ZEROS.test(after);
  const branch = branchOf(ref);
  const pusher = r.optional('pusher.login', 'pusher.username', 'pusher.name', 'sender.login');
  return {
    provider,
    deliveryId,
    repository: {
      fullName: r.text('repository.full_name'),
      cloneUrls: r.urls('repository.clone_url', 'repository.ssh_url'),
    },
    ref,
    ...(branch === undefined ? {} : { branch }),
    ...(deleted ? {} : { commit: r.commit('after') }),
    deleted,
    ...(pusher === undefined ? {} : { pusher }),
  };
}

function gitlabPush(deliveryId: string, r: Reader): PushEvent {
  const ref = r.text('ref');
  const after = r.text('after').toLowerCase();
  const deleted = ZEROS.test(after);
  const branch = branchOf(ref);
  const pusher = r.optional('user_username', 'user_name');
  return {
    provider: 'gitlab',
    deliveryId,
    repository: {
      fullName: r.text('project.path_with_namespace'),
      cloneUrls: r.urls('project.git_http_url', 'project.git_ssh_url'),
    },
    ref,
    ...(branch === undefined ? {} : { branch }),
    ...(deleted ? {} : { commit: r.commit('after') }),
    deleted,
    ...(pusher === undefined ? {} : { pusher }),
  };
}

/** GitHub's and Gitea's pull_request actions Berth acts on (Gitea says `synchronized`, GitHub `synchronize`). */
const HUB_ACTIONS: ReadonlyMap<string, PullRequestEvent['action']> = new Map([
  ['opened', 'opened'],
  ['synchronize', 'updated'],
  ['synchronized', 'updated'],
  ['closed', 'closed'],
  ['reopened', 'reopened'],
]);

/** GitLab's merge request actions (`object_attributes.action`). */
const GITLAB_ACTIONS: ReadonlyMap<string, PullRequestEvent['action']> = new Map([
  ['open', 'opened'],
  ['update', 'updated'],
  ['close', 'closed'],
  ['merge', 'closed'],
  ['reopen', 'reopened'],
]);

function hubPullRequest(provider: GitProvider, deliveryId: string, r: Reader): ReadPayload {
  const actionName = r.text('action');
  const action = HUB_ACTIONS.get(actionName);
  if (action === undefined)
    return { kind: 'ignored', reason: `pull_request action ${actionName} is not one Berth acts on` };
  const author = r.optional('pull_request.user.login', 'pull_request.user.username', 'sender.login');
  return {
    kind: 'pull_request',
    event: {
      provider,
      deliveryId,
      repository: {
        fullName: r.text('repository.full_name'),
        cloneUrls: r.urls('repository.clone_url', 'repository.ssh_url'),
      },
      number: r.number('number', 'pull_request.number'),
      action,
      merged: action === 'closed' && r.flag('pull_request.merged'),
      branch: r.text('pull_request.head.ref'),
      commit: r.commit('pull_request.head.sha'),
      baseBranch: r.text('pull_request.base.ref'),
      ...(author === undefined ? {} : { author }),
    },
  };
}

function gitlabMergeRequest(deliveryId: string, r: Reader): ReadPayload {
  const actionName = r.text('object_attributes.action');
  const action = GITLAB_ACTIONS.get(actionName);
  if (action === undefined)
    return { kind: 'ignored', reason: `merge request action ${actionName} is not one Berth acts on` };
  // GitLab says `update` for a new title, label or assignee too; `oldrev` is there only when commits were pushed.
  if (actionName === 'update' && r.optional('object_attributes.oldrev') === undefined)
    return { kind: 'ignored', reason: 'merge request updated without new commits (no object_attributes.oldrev)' };
  const author = r.optional('user.username', 'user.name');
  return {
    kind: 'pull_request',
    event: {
      provider: 'gitlab',
      deliveryId,
      repository: {
        fullName: r.text('project.path_with_namespace'),
        cloneUrls: r.urls('project.git_http_url', 'project.git_ssh_url'),
      },
      number: r.number('object_attributes.iid'),
      action,
      merged: actionName === 'merge',
      branch: r.text('object_attributes.source_branch'),
      commit: r.commit('object_attributes.last_commit.id'),
      baseBranch: r.text('object_attributes.target_branch'),
      ...(author === undefined ? {} : { author }),
    },
  };
}

/** Reads a parsed payload of `provider`'s `kind` of event. */
export function readPayload(
  provider: GitProvider,
  kind: 'push' | 'pull_request',
  deliveryId: string,
  payload: unknown,
): ReadPayload {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new ValidationError(`the ${provider} ${kind} payload is not a JSON object`, [
      { file: 'request body', path: '', message: 'must be a JSON object' },
    ]);
  const r = new Reader(payload, `${provider} ${kind}`);
  if (kind === 'push')
    return {
      kind: 'push',
      event: provider === 'gitlab' ? gitlabPush(deliveryId, r) : hubPush(provider, deliveryId, r),
    };
  return provider === 'gitlab' ? gitlabMergeRequest(deliveryId, r) : hubPullRequest(provider, deliveryId, r);
}
