/**
 * The seams between issue 17's delivery parts: what a verified webhook tells the pipelines (src/hooks →
 * src/pipelines), how a pipeline asks for a preview environment (src/pipelines → src/previews) and for a
 * promotion (src/pipelines → the release engine's promotion). Each side implements or calls these
 * interfaces; the control plane wires them together (src/server/daemon.ts).
 */

export type GitProvider = 'github' | 'gitlab' | 'gitea';

/** A push, as a verified webhook delivery says it. */
export interface PushEvent {
  provider: GitProvider;
  /** The provider's id of the delivery (GitHub/Gitea `X-*-Delivery`, GitLab `X-Gitlab-Event-UUID`): replays are refused by it. */
  deliveryId: string;
  /** The repository's clone URLs (https and ssh, as the payload gives them) and its `owner/name`. */
  repository: { fullName: string; cloneUrls: string[] };
  /** `refs/heads/main`, `refs/tags/v1`. */
  ref: string;
  /** The branch, when `ref` is one. */
  branch?: string;
  /** The commit the ref now points to (40 hex); absent when the ref was deleted. */
  commit?: string;
  /** The branch or tag was deleted. */
  deleted: boolean;
  /** Who pushed (login or name), for the run's author. */
  pusher?: string;
}

/** A pull (merge) request opened, updated or closed, as a verified webhook delivery says it. */
export interface PullRequestEvent {
  provider: GitProvider;
  deliveryId: string;
  repository: { fullName: string; cloneUrls: string[] };
  /** The pull request's number (GitLab: the merge request's iid). */
  number: number;
  action: 'opened' | 'updated' | 'closed' | 'reopened';
  /** Closed by a merge. */
  merged: boolean;
  /** Its source branch and head commit, and the branch it targets. */
  branch: string;
  commit: string;
  baseBranch: string;
  author?: string;
}

/** What a delivery came to: a pipeline run started, or why nothing was started (shown to the sender). */
export interface TriggerAnswer {
  runId?: string;
  ignored?: string;
}

/** The pipelines' side of the webhooks (implemented by src/pipelines, called by src/hooks). */
export interface PipelineTriggers {
  /** The shared secret (GitHub/Gitea HMAC key, GitLab token) of `app`'s pipeline; undefined when it has no webhook. */
  webhookSecret(app: string): Promise<string | undefined>;
  onPush(app: string, event: PushEvent): Promise<TriggerAnswer>;
  onPullRequest(app: string, event: PullRequestEvent): Promise<TriggerAnswer>;
}

/** One preview environment of an app (a branch's or a pull request's). */
export interface PreviewEnvironment {
  app: string;
  /** `pr-12` or the branch's name made a DNS label: the environment is `<template>-<key>` (≤ 63 chars). */
  key: string;
  env: string;
  template: string;
  createdAt: string;
  /** When it is deleted unless updated again (its time to live after the last update). */
  expiresAt: string;
}

/** The previews' side (implemented by src/previews, called by src/pipelines and the API). */
export interface PreviewEnvironments {
  /** Creates the environment from `template` (its settings and config, like `berth env copy`) or renews its time to live. */
  open(req: { app: string; key: string; template: string; ttlMs: number; author: string }): Promise<PreviewEnvironment>;
  /** Removes the app from the preview environment and deletes the environment; resolves when gone (idempotent). */
  close(app: string, key: string, reason: string): Promise<void>;
}

/** A promotion as the pipelines ask for it (implemented beside the release engine, called by src/pipelines and the API). */
export interface PromotionRequest {
  app: string;
  from: string;
  to: string;
  author: string;
  message?: string;
  /** A protected target needs this: the explicit confirmation (or, later, an approval's id). */
  confirmed: boolean;
}
