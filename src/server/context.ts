/** What the HTTP routes work with: the control plane's parts, wired once by the daemon. */
import type { CronScheduler } from '../cron/scheduler.js';
import type { JobRunStore } from '../cron/jobRunStore.js';
import type { Logger } from 'pino';
import type { ReleaseEngine } from '../release/engine/engine.js';
import type { Releases } from '../release/releases.js';
import type { ConfigSets } from '../config/configSets.js';
import type { Environments } from '../environment/environments.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Autoscaler } from '../autoscale/autoscaler.js';
import type { Access } from '../access/access.js';
import type { Sso } from '../access/sso/sso.js';
import type { AuditLog } from '../audit/auditLog.js';
import type { SecretBox } from '../config/secretBox.js';
import type { RenderWarmupState } from './renderWarmup.js';
import type { RenderService } from './renderService.js';
import type { TraceStore } from '../traces/traceStore.js';
import type { TraceCollectorStats } from '../traces/collector.js';
import type { LogIndex } from '../logs/logIndex.js';
import type { AlertRules } from '../alerts/ruleStore.js';
import type { Evaluator } from '../alerts/evaluator.js';
import type { Silences } from '../alerts/silences.js';
import type { MetricStore } from '../metrics/metricStore.js';
import type { AlertHistory } from '../alerts/history.js';
import type { Previews } from '../previews/previews.js';
import type { PipelineTriggers } from '../model/delivery.js';
import type { HookDeliveries } from '../hooks/deliveryStore.js';
import type { Pipelines } from '../pipelines/pipelines.js';
import type { Builds } from '../build/builds.js';
import type { BuildStore } from '../build/buildStore.js';
import type { Approvals } from '../approvals/approvals.js';

export interface ServerContext {
  version: string;
  home: string;
  /** What serves this machine's service addresses and edges, and why (absent in tests that run no gateway). */
  dataPlane?: { plane: 'node' | 'haproxy'; reason: string };
  engine: ReleaseEngine;
  releases: Releases;
  configSets: ConfigSets;
  environments: Environments;
  runtimeFor(env: string): Promise<Runtime>;
  /** The control plane's secret key: the keyed digests of secret values, the same as the engine's. */
  secretBox: SecretBox;
  /** Where the background warm-up of the render path is after the start (server/renderWarmup.ts). */
  renderWarmup?: () => RenderWarmupState;
  /** Renders for Kubernetes and Helm charts, with their caches (one per control plane). */
  renders: RenderService;
  /** Users, tokens, roles and bindings, sessions, and who may do what (src/access/). */
  access: Access;
  /** Single sign-on with OpenID Connect (absent: not configured, or in tests that run none). */
  sso?: Sso;
  /** The audit log every change is recorded in (src/audit/, src/server/auditCall.ts). */
  audit: AuditLog;
  logger: Logger;
  /** One machine's autoscaler (absent in tests that do not run one). */
  autoscaler?: Pick<Autoscaler, 'status' | 'replicasOf'>;
  /** One machine's cron scheduler (absent in tests that do not run one). */
  cron?: Pick<CronScheduler, 'runNow'>;
  /** The alert rules of every app and environment. */
  alertRules: AlertRules;
  /** Silences of alert notifications. */
  silences: Silences;
  /** What alerts went through: transitions, silenced notifications, delivery outcomes. */
  alertHistory: Pick<AlertHistory, 'query'>;
  /** The alert evaluator: the alerts pending, firing or just resolved (absent in tests that run none). */
  alerts?: Pick<Evaluator, 'instances'>;
  /** The history of cronjob runs. */
  jobRuns?: Pick<JobRunStore, 'list'>;
  /** The spans the gateway recorded (absent in tests that do not keep any). */
  traces?: Pick<TraceStore, 'trace' | 'list' | 'file' | 'retentionMs'>;
  /** Drains the gateway's spans into `traces` now: a read after it sees every span ended before (absent in tests that run no collector). */
  freshTraces?: () => Promise<void>;
  /** The span collector's counters for `/metrics` (absent in tests that run none). */
  traceStats?: () => TraceCollectorStats;
  /** The metric history and its sampler's interval (absent in tests that keep none). */
  metricHistory?: { store: MetricStore; intervalMs: number };
  /** The log index this machine's replica lines are followed into (absent in tests that do not open one). */
  logIndex?: Pick<LogIndex, 'search'>;
  /** Preview environments of branches and pull requests (absent in tests that keep none). */
  previews?: Previews;
  /** The pipelines a webhook delivery triggers (absent: no pipelines; the webhook route answers 404). */
  pipelineTriggers?: PipelineTriggers;
  /** The webhook deliveries received (src/hooks/deliveryStore.ts). */
  hookDeliveries: HookDeliveries;
  /** The apps' pipelines and their runs (absent in tests that run none). */
  pipelines?: Pipelines;
  /** Builds (docs/builds.md): absent in tests that run none. */
  builds?: { run: Builds; store: BuildStore };
  /** Operations waiting for approvals (src/approvals/, docs/access.md Approvals). */
  approvals: Approvals;
  /**
   * Stops the control plane gracefully (`berth server stop`, `berth up` in the foreground); the gateway
   * too when asked, and by default when no app runs on this machine.
   */
  shutdown(opts: { stopGateway?: boolean }): Promise<void>;
}
