/**
 * What the API answers, as the OpenAPI document publishes it: one zod schema per answer shape, named
 * (a component of the document) where several operations share it. They describe the fields a client
 * can rely on; objects stay open (`.loose()`) so a field added later is no breaking change. The
 * answers are not re-validated on the way out (see app.ts): the contract test checks real answers
 * against these schemas (test/e2e/openapi.test.ts).
 */
import { z } from 'zod';

const iso = z.string().describe('ISO 8601 time (UTC)');
const nullableIso = iso.nullable();

export const ErrorBody = z
  .object({
    code: z.string().describe('Stable error code: VALIDATION, UNAUTHORIZED, NOT_FOUND, CONFLICT, LOCKED, ...'),
    message: z.string(),
    problems: z
      .array(
        z
          .object({
            file: z.string().optional(),
            line: z.number().int().optional(),
            column: z.number().int().optional(),
            path: z.string(),
            message: z.string(),
          })
          .loose(),
      )
      .optional()
      .describe('Every problem of a VALIDATION error'),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .loose()
  .meta({ id: 'Error', description: 'An error: its code decides the HTTP status' });

export const ReleaseStep = z
  .object({
    service: z.string(),
    level: z.number().int(),
    status: z.string(),
    message: z.string().nullable(),
    startedAt: nullableIso,
    finishedAt: nullableIso,
    progress: z.object({}).loose().optional().describe('Where a progressive rollout of the service stands'),
  })
  .loose()
  .meta({ id: 'ReleaseStep' });

export const Release = z
  .object({
    id: z.number().int(),
    app: z.string(),
    env: z.string(),
    revision: z.number().int(),
    kind: z.string().describe('deploy, rollback, auto-rollback, scale, restart, policy, promotion, down, ...'),
    status: z.string().describe('pending, running, succeeded or failed'),
    reason: z.string().nullable(),
    specDigest: z.string(),
    specFile: z.string(),
    configVersion: z.number().int(),
    sourceRevision: z.number().int().nullable(),
    rollbackPolicy: z.enum(['auto', 'none']),
    author: z.string(),
    message: z.string().nullable(),
    createdAt: iso,
    startedAt: nullableIso,
    finishedAt: nullableIso,
    steps: z.array(ReleaseStep),
  })
  .loose()
  .meta({ id: 'Release', description: 'A revision of an app in an environment' });

export const ReleaseList = z.array(Release);

const Route = z.object({ pathPrefix: z.string(), host: z.string().optional(), service: z.string() }).loose();

export const Plan = z
  .object({
    app: z.string(),
    env: z.string(),
    fromConfigVersion: z.number().int().optional(),
    toConfigVersion: z.number().int(),
    services: z.array(
      z
        .object({
          service: z.string(),
          action: z.string(),
          changes: z.array(z.object({ path: z.string(), because: z.array(z.string()) }).loose()),
        })
        .loose(),
    ),
    routes: z.object({ added: z.array(Route), removed: z.array(Route) }).loose(),
    levels: z.array(z.array(z.string())),
    changed: z.boolean(),
  })
  .loose()
  .meta({ id: 'Plan', description: 'What differs, service by service and field by field, and why' });

export const PlanResult = z.object({ plan: Plan, current: Release.optional() }).loose();

const ReplicaStatus = z
  .object({
    id: z.string(),
    index: z
      .number()
      .int()
      .optional()
      .describe("The replica's slot, BERTH_REPLICA_INDEX (a stateful replica's stable index)"),
    phase: z.string(),
    hash: z.string(),
    pid: z.number().int().optional(),
    port: z.number().int().optional(),
    startedAt: iso.optional(),
    restarts: z.number().int(),
    lastExit: z.object({ at: iso, reason: z.string() }).loose().optional(),
    message: z.string().optional(),
    cpuPercent: z.number().optional(),
    memoryBytes: z.number().optional(),
  })
  .loose();

export const AppStatus = z
  .object({
    app: z.string(),
    env: z.string(),
    currentRevision: z.number().int().nullable(),
    lastRelease: Release.nullable(),
    services: z.array(
      z
        .object({
          service: z.string(),
          runAs: z
            .enum(['process', 'container'])
            .optional()
            .describe('How its replicas run on one machine (absent on clusters, which run images)'),
          desiredReplicas: z.number().int(),
          readyReplicas: z.number().int(),
          replicas: z.array(ReplicaStatus),
        })
        .loose(),
    ),
    edge: z.object({ url: z.string(), port: z.number().int(), error: z.string().optional() }).loose().optional(),
  })
  .loose()
  .meta({ id: 'AppStatus', description: 'What runs, as the environment’s runtime observes it' });

export const AppSummaryList = z.array(
  z
    .object({
      app: z.string(),
      env: z.string(),
      lastRelease: Release.optional(),
      currentRevision: z.number().int().nullable(),
      down: z.boolean(),
    })
    .loose(),
);

export const Environment = z
  .object({
    name: z.string(),
    target: z.object({ kind: z.enum(['local', 'kubernetes']) }).loose(),
    defaults: z.record(z.string(), z.string()),
    createdAt: z.string(),
  })
  .loose()
  .meta({ id: 'Environment' });

const ConfigSummary = z
  .object({ added: z.array(z.string()), changed: z.array(z.string()), removed: z.array(z.string()) })
  .loose()
  .nullable();

export const ConfigVersionInfo = z
  .object({
    app: z.string(),
    env: z.string(),
    version: z.number().int(),
    author: z.string().nullable(),
    message: z.string().nullable(),
    createdAt: nullableIso,
    summary: ConfigSummary,
  })
  .loose()
  .meta({ id: 'ConfigVersion', description: 'A config version: who made it, when, why, which keys it changed' });

export const ConfigView = ConfigVersionInfo.extend({
  values: z.record(z.string(), z.object({ value: z.string(), secret: z.boolean() }).loose()),
  files: z.record(z.string(), z.object({ content: z.string(), secret: z.boolean() }).loose()),
})
  .loose()
  .meta({ id: 'ConfigView', description: 'A config version’s values and files, secrets masked' });

export const ConfigDiff = z.array(
  z
    .object({
      kind: z.enum(['value', 'file']),
      key: z.string(),
      change: z.enum(['added', 'removed', 'changed']),
      from: z.string().optional(),
      to: z.string().optional(),
      secret: z.boolean(),
    })
    .loose(),
);

export const ConfigValue = z
  .object({ key: z.string(), version: z.number().int(), secret: z.boolean(), value: z.string() })
  .loose();

export const ConfigFile = z
  .object({
    path: z.string(),
    version: z.number().int(),
    secret: z.boolean(),
    size: z.number().int().describe('Bytes of the real content, also of a masked secret file'),
    content: z.string().describe('The content; `******` for a secret file unless revealed'),
  })
  .loose();

export const Variables = z
  .object({
    app: z.string(),
    env: z.string(),
    revision: z.number().int(),
    configVersion: z.number().int(),
    variables: z.array(
      z.object({ name: z.string(), declared: z.boolean(), secret: z.boolean(), usedBy: z.array(z.string()) }).loose(),
    ),
  })
  .loose();

export const Policies = z
  .object({
    app: z.string(),
    env: z.string(),
    revision: z.number().int(),
    services: z.record(z.string(), z.object({}).loose().nullable()),
    routes: z.array(
      z
        .object({
          path: z.string(),
          host: z.string().optional(),
          service: z.string(),
          policy: z.object({}).loose().nullable(),
        })
        .loose(),
    ),
  })
  .loose();

export const AutoscaleStatus = z
  .object({ app: z.string(), env: z.string(), tracks: z.array(z.object({ service: z.string() }).loose()) })
  .loose();

export const JobRun = z
  .object({
    app: z.string(),
    env: z.string(),
    job: z.string(),
    runId: z.string(),
    trigger: z.enum(['scheduled', 'manual', 'deploy']),
    status: z.enum(['running', 'succeeded', 'failed', 'skipped', 'missed']),
    dueAt: iso.optional(),
    startedAt: iso.optional(),
    endedAt: iso.optional(),
    exitCode: z.number().int().nullable().optional(),
    reason: z.string().optional(),
    logTail: z.array(z.string()),
    replica: z.string().optional(),
  })
  .loose();

export const JobsStatus = z
  .object({
    app: z.string(),
    env: z.string(),
    jobs: z.array(
      z
        .object({
          job: z.string(),
          kind: z.enum(['job', 'cronjob']),
          schedule: z.string().optional(),
          timeZone: z.string().optional(),
          concurrency: z.enum(['forbid', 'allow', 'replace']).optional(),
          backoffLimit: z.number().int(),
          nextDueAt: iso.optional(),
          runs: z.array(JobRun),
        })
        .loose(),
    ),
  })
  .loose();

export const TraceView = z
  .object({
    traceId: z.string(),
    spans: z.array(
      z
        .object({
          traceId: z.string(),
          spanId: z.string(),
          parentId: z.string().optional(),
          kind: z.enum(['edge', 'service']),
          edge: z.string().optional(),
          route: z.string().optional(),
          service: z.string().optional(),
          caller: z.string().optional(),
          track: z.enum(['stable', 'canary']).optional(),
          method: z.string(),
          path: z.string().optional(),
          status: z.number().int(),
          error: z.boolean(),
          startMs: z.number(),
          durationMs: z.number(),
        })
        .loose(),
    ),
  })
  .loose();

export const LogLine = z
  .object({
    time: iso,
    service: z.string(),
    replica: z.string(),
    stream: z.enum(['stdout', 'stderr']),
    line: z.string(),
  })
  .loose()
  .describe('One line per JSON object (NDJSON); a line `{ "error": … }` ends a stream that failed');

export const LogSearchResult = z
  .object({
    lines: z.array(
      z
        .object({
          id: z.number().int().describe('The line’s place in the index (`after` of a follow)'),
          time: iso,
          service: z.string(),
          replica: z.string(),
          stream: z.enum(['stdout', 'stderr']),
          level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).optional(),
          message: z.string().optional(),
          traceId: z.string().optional(),
          line: z.string(),
        })
        .loose(),
    ),
    truncated: z.boolean().describe('Older matching lines were left out by the limit'),
  })
  .loose();

export const Validation = z
  .object({
    ok: z.boolean(),
    app: z.string().optional(),
    services: z.array(z.string()).optional(),
    digest: z.string().optional(),
    problems: z.array(z.object({ path: z.string(), message: z.string() }).loose()),
  })
  .loose();

export const Rendered = z
  .object({
    objects: z.array(z.object({}).loose()).optional().describe('The objects (format json)'),
    yaml: z.string().optional().describe('The objects as one YAML stream (format yaml)'),
  })
  .loose();

export const HelmChart = z
  .object({ chart: z.string(), namespace: z.string(), files: z.record(z.string(), z.string()) })
  .loose();

export const Health = z.object({ ok: z.boolean() }).loose();
export const Info = z
  .object({
    version: z.string(),
    home: z.string(),
    pid: z.number().int(),
    dataPlane: z
      .object({ plane: z.enum(['node', 'haproxy']), reason: z.string() })
      .optional()
      .describe(
        'What serves the service addresses and edges of this machine, and why (docs/architecture.md, Data plane)',
      ),
  })
  .loose();
export const AnyObject = z.object({}).loose();

export const Volume = z
  .object({
    app: z.string(),
    env: z.string(),
    volume: z.string().describe("The app's volume (berth.yaml `volumes` key)"),
    index: z.number().int().optional().describe("The replica index of a stateful service's own copy"),
    name: z.string().describe('The volume, or `<volume>-<index>` for a stateful replica’s copy'),
    usedBytes: z.number().int().describe('Bytes of the files in it (apparent sizes)'),
    sizeBytes: z.number().int().optional().describe('Requested size (berth.yaml `volumes.<name>.size`)'),
    services: z.array(z.string()).describe('Services of the running release that mount it'),
    path: z.string().describe('Its directory on this machine'),
  })
  .loose()
  .meta({ id: 'Volume' });

export const VolumeList = z.array(Volume);
