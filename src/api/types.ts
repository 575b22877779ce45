/**
 * The API contract: the shapes the control plane's HTTP API sends and takes, as its clients (the web
 * console) see them. Types only — every line is an `export type`, so importing this module brings no
 * server code into the console's bundle. The console imports src/ only through this module and the
 * shared model (src/model/); eslint's berth/boundaries rule keeps it so (docs/architecture.md,
 * "Parts and arrows"). A change on one side the other does not follow fails the typecheck.
 */
export type { ErrorJSON, Problem } from '../errors.js';
export type { Release, ReleaseEvent, ReleaseStep, StepProgress } from '../release/releases.js';
export type { ReleaseStatus, StepStatus } from '../model/releaseStatus.js';
export type {
  CircuitStatus,
  LogLine,
  ReplicaStatus,
  ServiceStatus,
  TrackStatus as Track,
} from '../model/observation.js';
export type { Route, TrafficPolicy, TrafficSplit } from '../model/routing.js';
export type { VolumeStatus } from '../model/volumes.js';
export type { TrackAutoscaleStatus as TrackAutoscale } from '../autoscale/autoscaler.js';
export type { AppStatus, AppSummary, AutoscaleStatus, Policies, Variables } from '../server/apiTypes.js';
export type { VariableInfo } from '../spec/variableReport.js';
export type { RenderedRelease, RenderedService } from '../release/rendered.js';
export type { FieldChange, Plan, ServicePlan } from '../release/planTypes.js';
export type { PlanResult } from '../release/engine/engine.js';
export type { ConfigDiffEntry, ConfigVersionInfo, ConfigView } from '../config/configSets.js';
export type { Environment } from '../environment/environments.js';
export type { JobRun } from '../model/jobRuns.js';
export type { GatewaySpan, StoredSpan, TraceView } from '../model/trace.js';
export type {
  MetricHistory,
  MetricName,
  MetricPoint,
  MetricSeriesView,
  ReleaseMarker,
  ReleaseMarkers,
} from '../model/metricHistory.js';
export type { JobsStatus, JobStatus } from '../server/apiTypes.js';
export type { CallDifference, CallEdge, CallGraph, CallNode, CallNodeKind, DeclaredEdge } from '../model/callGraph.js';
export type { AlertRuleView, AlertRulePreview } from '../alerts/ruleStore.js';
export type { AlertView } from '../server/routes/alerts.js';
export type { RulesFileResult } from '../server/routes/alertRulesFile.js';
export type { Silence } from '../alerts/silences.js';
export type { AlertHistoryEntry } from '../alerts/history.js';
export type { FoundLogLine, LogLevel, LogSearchResult } from '../model/logSearch.js';
export type { AppConfigDiff, EnvConfigDiffEntry } from '../config/configCompare.js';
export type { PreviewRecord as Preview, PreviewState } from '../previews/previewStore.js';
export type { HookDelivery, HookDeliveryOutcome } from '../model/hookDelivery.js';
export type { PromotionPreview } from '../release/promote.js';
export type {
  PipelineInfo,
  PipelineRun,
  PipelineRunStep,
  PipelineRunStatus,
  PipelineStepStatus,
  PipelineStepSpec,
} from '../model/pipeline.js';

/** A build and one service's part of it (`GET /api/v1/builds`, docs/builds.md). */
export type { BuildSummary, ServiceBuild } from '../build/buildStore.js';

/** Users, tokens, roles and bindings (`/api/v1/users`, `/tokens`, `/roles`, `/role-bindings`; docs/access.md). */
export type {
  UserView,
  StoredTokenView,
  IssuedTokenView,
  RoleView,
  RoleBindingView,
  MeView,
} from '../server/userSchemas.js';
export type { AuditEntry, AuditPage, AuditVerification } from '../model/audit.js';
/** Approval requests and the caller's grants (`GET /api/v1/approvals`, `GET /api/v1/me`; docs/access.md). */
export type { ApprovalRequest, ApprovalVote } from '../model/approvals.js';
export type { Grant } from '../model/access.js';
