/**
 * The store's tables as Kysely types. JSON columns are TEXT holding JSON; times are TEXT in
 * ISO-8601 UTC (`new Date().toISOString()`), except lease expiry, an INTEGER of epoch ms.
 * Columns the database fills by default are optional on insert.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { ReleaseKind, ReleaseStatus, RollbackPolicy, StepStatus } from '../model/releaseStatus.js';

/** ISO-8601 UTC time set by the database when omitted on insert, never updated. */
export type CreatedAt = ColumnType<string, string | undefined, never>;

/** A column with a database default: optional on insert, updatable. */
export type Defaulted<T> = ColumnType<T, T | undefined, T>;

/** An environment: where releases run and its variable defaults. */
export interface EnvironmentsTable {
  name: string;
  /** JSON: `{"kind":"local"}` or `{"kind":"kubernetes","context":"...","namespace":"..."}`. */
  target: string;
  /** JSON: variable defaults `{KEY: value}`; `{}` when omitted. */
  defaults: Defaulted<string>;
  created_at: CreatedAt;
}

/** An application known to Berth. */
export interface AppsTable {
  name: string;
  created_at: CreatedAt;
}

/** One immutable version of an (app, env) config set. */
export interface ConfigVersionsTable {
  app: string;
  env: string;
  version: number;
  author: string;
  message: string | null;
  created_at: CreatedAt;
  /** JSON ConfigEntry (see src/config/entries.ts); secrets are encrypted. */
  entries: string;
}

/** One release (revision) of an app in an environment. */
export interface ReleasesTable {
  id: Generated<number>;
  app: string;
  env: string;
  revision: number;
  kind: ReleaseKind;
  status: Defaulted<ReleaseStatus>;
  reason: string | null;
  /** JSON: the app spec this release was made from. */
  spec: string;
  spec_digest: string;
  spec_file: string;
  config_version: number;
  /** JSON: the rendered desired state of every service. */
  rendered: string;
  /** The revision whose content a rollback re-applies. */
  source_revision: number | null;
  author: string;
  message: string | null;
  created_at: CreatedAt;
  started_at: string | null;
  finished_at: string | null;
  rollback_policy: Defaulted<RollbackPolicy>;
  /** JSON: what the release was started with beyond its columns (ReleaseOptions: the timeout); `{}` when nothing. */
  options: Defaulted<string>;
  /** JSON: an operator's request to cancel the release (`{by, at}`), kept until it has ended it. */
  cancel_request: string | null;
}

/** One service's step in a release. */
export interface ReleaseStepsTable {
  release_id: number;
  service: string;
  level: number;
  status: Defaulted<StepStatus>;
  message: string | null;
  started_at: string | null;
  finished_at: string | null;
  /** JSON: where a progressive rollout of this service stands (ReleaseProgress); null for rolling. */
  progress: string | null;
  /** JSON: an operator's promote/abort not yet acted on (StepCommand). */
  command: string | null;
}

/** Append-only log of what happened during a release. */
export interface ReleaseEventsTable {
  id: Generated<number>;
  release_id: number;
  time: CreatedAt;
  service: string | null;
  type: string;
  reason: string;
  message: string;
}

/** The per-(app, env) operation lock. */
export interface LeasesTable {
  app: string;
  env: string;
  holder: string;
  /** Epoch milliseconds. */
  expires_at: number;
  acquired_at: string;
}

/** API tokens; only a hash of each is kept (migration 011: their owner, kind, scopes, expiry, revocation). */
export interface TokensTable {
  id: Generated<number>;
  /** What the token is called (a bootstrap token: its owner's name). */
  name: string;
  hash: string;
  created_at: CreatedAt;
  /** `bootstrap` (the first-start admin token), `personal` (a user's) or `service` (a service account's). */
  kind: Defaulted<string>;
  /** The user or service account it acts as (null: a bootstrap token, acting as `name`). */
  user: string | null;
  description: string | null;
  /** JSON array of permissions the token is narrowed to; null: its owner's. */
  scopes: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_by: string | null;
}

/** Users and service accounts (`kind`); a local user's password as a scrypt hash (src/access/passwords.ts). */
export interface UsersTable {
  name: string;
  kind: string;
  display_name: string | null;
  password_hash: string | null;
  /** `local`, or `sso` for a user first seen through single sign-on. */
  source: Defaulted<string>;
  disabled: Defaulted<number>;
  created_at: CreatedAt;
  created_by: string | null;
}

/** A user's membership of a local group. */
export interface UserGroupsTable {
  user: string;
  grp: string;
}

/** A custom role: a named set of permissions (JSON array). */
export interface RolesTable {
  name: string;
  permissions: string;
  description: string | null;
  created_at: CreatedAt;
  created_by: string | null;
}

/** A role bound to a user or group in an app and an environment (`*`: any). */
export interface RoleBindingsTable {
  id: Generated<number>;
  subject_kind: string;
  subject: string;
  role: string;
  app: string;
  env: string;
  created_at: CreatedAt;
  created_by: string | null;
}

/** A console session (the cookie's value is never stored, only its sha256). */
export interface SessionsTable {
  id_hash: string;
  user: string;
  /** JSON array: the groups the session carries (an SSO provider's claim at sign-in, or the local groups). */
  groups: Defaulted<string>;
  via: string;
  csrf: string;
  created_at: string;
  expires_at: string;
}

/** A single sign-on started and not yet finished (migration 014_sso). */
export interface SsoLoginsTable {
  /** sha256 of the `state` sent to the provider. */
  state_hash: string;
  nonce: string;
  /** The PKCE verifier of the provider leg. */
  verifier: string;
  /** The console path to return to (a console sign-in). */
  return_to: string | null;
  /** sha256 of the cookie tying a console sign-in to its browser. */
  binding_hash: string | null;
  /** The CLI's loopback port and PKCE challenge (a CLI sign-in). */
  cli_port: number | null;
  cli_challenge: string | null;
  created_at: string;
  expires_at: string;
}

/** A one-time code a CLI sign-in exchanges for a token (migration 014_sso). */
export interface SsoCliCodesTable {
  code_hash: string;
  user: string;
  challenge: string;
  created_at: string;
  expires_at: string;
}

/** One run of a cronjob, or a due time that was skipped (forbid) or missed (control plane down). */
export interface JobRunsTable {
  id: Generated<number>;
  app: string;
  env: string;
  service: string;
  run_id: string;
  /** `scheduled` or `manual`. */
  trigger: string;
  /** `running`, `succeeded`, `failed`, `skipped` or `missed`. */
  status: string;
  due_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  exit_code: number | null;
  reason: string | null;
  /** JSON array of the last log lines. */
  log_tail: Defaulted<string>;
  replica: string | null;
}

/** How far the scheduler has looked at a cronjob's schedule (epoch ms of its clock). */
export interface CronCursorsTable {
  app: string;
  env: string;
  service: string;
  checked_until: number;
}

/** An alert rule of an app in an environment. */
export interface AlertRulesTable {
  app: string;
  env: string;
  name: string;
  /** JSON of the rule without its channels (src/alerts/rule.ts). */
  spec: string;
  /** The rule's channels: JSON encrypted with the secret box (URLs and signing secrets are credentials). */
  channels: string;
  created_at: string;
  updated_at: string;
}

/** A notification waiting for its receiver's 2xx (src/alerts/outbox.ts). */
export interface AlertOutboxTable {
  id: Generated<number>;
  app: string;
  env: string;
  rule: string;
  /** The channel to send to: JSON encrypted with the secret box. */
  channel: string;
  /** JSON Notification (src/alerts/notification.ts). */
  notification: string;
  attempts: Defaulted<number>;
  /** Epoch ms of the next try. */
  next_attempt_at: number;
  last_error: string | null;
  created_at: string;
}

/** Where an alert instance stands (src/alerts/stateStore.ts); inactive ones have no row. */
export interface AlertStatesTable {
  app: string;
  env: string;
  rule: string;
  /** The service, or '' for an alert of the whole app. */
  service: string;
  /** The rule's updatedAt when this state began. */
  rule_version: string;
  /** JSON AlertState. */
  state: string;
}

/** A silence: notifications of the matching alerts are not sent between its start and end. */
export interface AlertSilencesTable {
  id: Generated<number>;
  app: string;
  env: string;
  /** Only this rule (null: every rule of the app). */
  rule: string | null;
  /** Only this service (null: every service). */
  service: string | null;
  starts_at: string;
  ends_at: string;
  comment: string | null;
  created_by: string;
  created_at: string;
}

/** One entry of the alert history (src/alerts/history.ts). */
export interface AlertHistoryTable {
  id: Generated<number>;
  app: string;
  env: string;
  rule: string;
  /** The service, or null for an alert of the whole app. */
  service: string | null;
  /** pending, firing, resolved, silenced (a notification dropped), delivered or undelivered (given up). */
  kind: string;
  /** ISO time. */
  at: string;
  value: number | null;
  /** The notification's status (firing or resolved), for a delivery outcome or a silenced one. */
  status: string | null;
  /** The channel's type, for a delivery outcome. */
  channel: string | null;
  attempts: number | null;
  /** The last error of a delivery given up. */
  error: string | null;
  /** The alert's startsAt, when it fired. */
  starts_at: string | null;
}

/** One preview environment of an app (src/previews/, migration 010_previews). */
export interface PreviewsTable {
  app: string;
  /** `pr-12` or a branch made a DNS label. */
  key: string;
  env: string;
  template: string;
  /** opening, open, closing or closed. */
  state: string;
  author: string;
  ttl_ms: number;
  /** The edge port picked for it on this machine (none on Kubernetes). */
  edge_port: number | null;
  /** ISO times: created, last opened again, when the sweeper closes it. */
  created: string;
  updated: string;
  expires: string;
  closed: string | null;
  closed_reason: string | null;
  /** Why the last close attempt failed (the sweeper tries again). */
  error: string | null;
}

/** One approval request (src/approvals/, migration 012_approvals). */
export interface ApprovalsTable {
  id: Generated<number>;
  action: string;
  app: string;
  env: string;
  /** The operation's request as JSON, encrypted with the secret key. */
  request: string;
  /** The request as shown (JSON, secrets masked). */
  shown: string;
  author: string;
  reason: string | null;
  required: number;
  state: string;
  /** The approvals so far (JSON ApprovalVote[]). */
  votes: Defaulted<string>;
  created: string;
  expires: string;
  updated: string;
  ended_by: string | null;
  end_reason: string | null;
  /** What it started (JSON ApprovalResult). */
  result: string | null;
  error: string | null;
}

/** Every table of the store. */
/** One webhook delivery, accepted or refused (src/hooks/deliveryStore.ts). */
export interface HookDeliveriesTable {
  id: Generated<number>;
  provider: string;
  /** The provider's delivery id; null when the request gave none. */
  delivery_id: string | null;
  app: string;
  received_at: string;
  /** The event header's value (`push`, `Merge Request Hook`). */
  event: string | null;
  /** 1 while the delivery id is taken (a repeat is a replay); 0 for a refused or failed delivery. */
  accepted: Defaulted<number>;
  /** The HTTP status answered. */
  status: number;
  outcome: string;
  detail: string | null;
  run_id: string | null;
  ref: string | null;
  commit_sha: string | null;
}

export interface Database {
  environments: EnvironmentsTable;
  apps: AppsTable;
  config_versions: ConfigVersionsTable;
  releases: ReleasesTable;
  release_steps: ReleaseStepsTable;
  release_events: ReleaseEventsTable;
  leases: LeasesTable;
  tokens: TokensTable;
  users: UsersTable;
  user_groups: UserGroupsTable;
  roles: RolesTable;
  role_bindings: RoleBindingsTable;
  sessions: SessionsTable;
  job_runs: JobRunsTable;
  cron_cursors: CronCursorsTable;
  alert_rules: AlertRulesTable;
  alert_outbox: AlertOutboxTable;
  alert_states: AlertStatesTable;
  alert_silences: AlertSilencesTable;
  alert_history: AlertHistoryTable;
  previews: PreviewsTable;
  hook_deliveries: HookDeliveriesTable;
  sso_logins: SsoLoginsTable;
  sso_cli_codes: SsoCliCodesTable;
  approvals: ApprovalsTable;
}

export type EnvironmentRow = Selectable<EnvironmentsTable>;
export type NewEnvironment = Insertable<EnvironmentsTable>;
export type EnvironmentUpdate = Updateable<EnvironmentsTable>;
export type AppRow = Selectable<AppsTable>;
export type ConfigVersionRow = Selectable<ConfigVersionsTable>;
export type NewConfigVersion = Insertable<ConfigVersionsTable>;
export type ReleaseRow = Selectable<ReleasesTable>;
export type NewRelease = Insertable<ReleasesTable>;
export type ReleaseUpdate = Updateable<ReleasesTable>;
export type ReleaseStepRow = Selectable<ReleaseStepsTable>;
export type NewReleaseStep = Insertable<ReleaseStepsTable>;
export type ReleaseStepUpdate = Updateable<ReleaseStepsTable>;
export type ReleaseEventRow = Selectable<ReleaseEventsTable>;
export type NewReleaseEvent = Insertable<ReleaseEventsTable>;
export type LeaseRow = Selectable<LeasesTable>;
export type TokenRow = Selectable<TokensTable>;
export type NewToken = Insertable<TokensTable>;
