/**
 * Messages the server makes for people (why a release failed, what a rollout step does, why the
 * autoscaler chose a count), as a stable `code` with `params` beside the English `text`. The CLI
 * prints `text`; the console translates `code` with `params` (console/src/i18n, `reasons.<code>`),
 * so a server-made message reads in the console's language. Dependency-free: the server and the
 * console's type-only imports share it.
 */

/**
 * Values a message is made from. A value may itself be a message (a rollout step's phase inside a
 * release event): its text goes into the English text, and the console translates it first.
 */
export type MessageParams = Record<string, string | number | Message>;

/** Params with every nested message as its text: what the English texts are made from. */
type TextParams = Record<string, string | number>;

/** The English text of each code, from its params. */
const TEXT = {
  // rollout step states (StepProgress.phaseMessage)
  'rollout.weight': (p) => `weight ${p.weight}%`,
  'rollout.match': (p) => `requests matching ${p.match}`,
  'rollout.pause': (p) => `pause ${p.seconds}s`,
  'rollout.waitingForPromote': () => 'waiting for promote',
  'rollout.finalizing': () => 'finalizing',
  'rollout.waitingForData': (p) =>
    `waiting: ${p.requests} request${p.requests === 1 ? '' : 's'} < minRequests ${p.minRequests}`,
  'rollout.waitingUnmeasured': (p) => `waiting: the ${p.runtime} runtime measures no per-track traffic`,
  'rollout.waitingForReading': (p) => `waiting: no reading of the traffic (${p.error})`,
  // release reasons (Release.reasonMessage)
  'release.failed': (p) => String(p.error),
  'release.deadlineExceeded': (p) => `deadline of ${p.seconds}s exceeded: ${p.error}`,
  'release.supersededWhileDown': () => 'superseded while the control plane was down',
  'release.aborted': (p) => `${p.service}: aborted by ${p.by}`,
  'release.analysisFailed': (p) => `${p.service}: analysis failed at ${p.weight}% on the new version: ${p.error}`,
  'release.analysisFailedOverStep': (p) =>
    `${p.service}: analysis failed at ${p.weight}% on the new version over the step: ${p.error}`,
  'release.noVerdict': (p) =>
    `${p.service}: no verdict at ${p.weight}% on the new version: ${p.requests} request${p.requests === 1 ? '' : 's'} < minRequests ${p.minRequests} over the step (onNoData: fail)`,
  'release.notMeasured': (p) =>
    `${p.service}: no verdict at ${p.weight}% on the new version: the ${p.runtime} runtime measures no per-track traffic (onNoData: fail)`,
  'release.noReading': (p) =>
    `${p.service}: no verdict at ${p.weight}% on the new version: no reading of the traffic: ${p.error} (onNoData: fail)`,
  'release.rolloutFailed': (p) => `${p.service}: ${p.error}`,
  'release.cancelled': (p) => `cancelled by ${p.by}`,
  'release.cancelledRollingOut': (p) => `cancelled by ${p.by} while rolling out ${p.services}`,
  'release.timedOut': (p) => `timeout of ${p.duration} exceeded`,
  'release.timedOutRollingOut': (p) => `timeout of ${p.duration} exceeded while rolling out ${p.services}`,
  'release.stoppedRollingOut': (p) => `${p.why} while rolling out ${p.services}`,
  'release.stoppedWith': (p) => `${p.why}: ${p.error}`,
  'release.convergeClosed': (p) => `${p.service}: the runtime was closed during converge`,
  'release.convergeSuperseded': (p) => `${p.service}: superseded by a newer converge`,
  'release.crashLoop': (p) =>
    `${p.service}: crash loop: ${p.replica} crashed ${p.crashes} times in a row without ever becoming ready; last exit: ${p.lastExit}; last stderr: ${p.lastStderr}`,
  'release.crashLoopNoStderr': (p) =>
    `${p.service}: crash loop: ${p.replica} crashed ${p.crashes} times in a row without ever becoming ready; last exit: ${p.lastExit}`,
  'release.noProgress': (p) =>
    `${p.service}: ${p.newReady}/${p.desired} replicas ready after ${p.seconds}s${p.details}`,
  'release.replicaWhy': (p) => `; ${p.replica}: ${p.reason}${p.rest}`,
  'release.exitedRestarts': (p) => `${p.reason} (${p.restarts} restarts)`,
  'release.olderRemain': (p) => `; ${p.count} replica(s) of an older version remain${p.rest}`,
  'release.jobFailed': (p) =>
    `${p.service}: job failed after ${p.attempts} run${p.attempts === 1 ? '' : 's'}; last exit: ${p.lastExit}; log tail: ${p.logTail}`,
  // a release step's state (ReleaseStep.messageDetail)
  'step.resumed': () => 'resumed after restart',
  'step.jobCompleted': () => 'job completed',
  'step.ready': (p) => `${p.replicas} replica${p.replicas === 1 ? '' : 's'} ready`,
  // the message of a revision Berth makes (Release.messageDetail)
  'revision.scale': (p) => `scale ${p.service} from ${p.from} to ${p.to}`,
  'revision.restart': (p) => `rolling restart of ${p.service}`,
  'revision.restartAll': () => 'rolling restart of every service',
  'revision.down': () => 'take the app down',
  'revision.autoRollback': (p) => `automatic rollback after revision ${p.revision} failed: ${p.reason}`,
  'revision.promoted': (p) => `promoted from ${p.env}@${p.revision}`,
  // release and runtime events (ReleaseEvent.detail, RuntimeEvent.detail)
  'event.started': (p) => `${p.kind} of ${p.app} revision ${p.revision} to ${p.env}${p.timeout}`,
  'event.timeout': (p) => ` (timeout ${p.duration})`,
  'kind.deploy': () => 'deploy',
  'kind.rollback': () => 'rollback',
  'kind.auto-rollback': () => 'auto-rollback',
  'kind.down': () => 'down',
  'kind.scale': () => 'scale',
  'kind.restart': () => 'restart',
  'kind.policy': () => 'policy',
  'kind.promotion': () => 'promotion',
  'event.level': (p) => `level ${p.level}: ${p.services}`,
  'event.pruned': (p) => `${p.service} is no longer in the app; removing it`,
  'event.live': (p) => `revision ${p.revision} is live`,
  'event.noRollback': () => 'no earlier good revision to roll back to',
  'event.rollingBack': (p) => `rolling back to revision ${p.target} as revision ${p.revision}`,
  'event.cancelRequested': (p) => `cancel requested by ${p.by}; the release fails`,
  'event.cancelRequestedRollback': (p) => `cancel requested by ${p.by}; the release fails and rolls back`,
  'event.promoteRequested': (p) => `promote requested by ${p.by}`,
  'event.promoteFullRequested': (p) => `full promotion requested by ${p.by}`,
  'event.abortRequested': (p) => `abort requested by ${p.by}`,
  'event.setWeight': (p) =>
    `step ${p.step}/${p.of}: new version ${p.hash} gets ${p.phase} (${p.replicas} replica${p.replicas === 1 ? '' : 's'})`,
  'event.paused': (p) => `step ${p.step}/${p.of}: ${p.phase}`,
  'event.pausedChecking': (p) => `step ${p.step}/${p.of}: ${p.phase}, checking every ${p.intervalMs} ms`,
  'event.promoting': (p) => `promoting ${p.hash}: the stable track takes the new version while the canary serves`,
  'event.rolloutAborted': (p) => `${p.error}; all traffic back to ${p.hash}`,
  'event.promotedFully': (p) => `fully promoted by ${p.by}`,
  'event.promoted': (p) => `promoted by ${p.by}`,
  'event.promotedWaiting': (p) => `promoted by ${p.by} (the step was ${p.phase})`,
  'event.waitingForData': (p) =>
    `step ${p.step}/${p.of}: ${p.phase} over the step; it goes on once enough requests pass the checks, or on berth promote (onNoData: wait)`,
  'event.waitingUnmeasured': (p) =>
    `step ${p.step}/${p.of}: ${p.phase}; it goes on on berth promote (check the new version with your own metrics first) or ends on berth abort (onNoData: wait)`,
  'event.analysis': (p) => `${p.verdict}: ${p.result}`,
  'event.analysisStep': (p) => `step ${p.verdict}: ${p.result}`,
  'event.replicaStarted': (p) => `started replica ${p.replica} (pid ${p.pid}, port ${p.port})`,
  'event.containerStarted': (p) => `started replica ${p.replica} (container ${p.container}, port ${p.port})`,
  'event.replicaReady': (p) => `replica ${p.replica} is ready`,
  'event.readinessFailed': (p) => `readiness probe failed: ${p.detail}`,
  'event.replicaRestarting': (p) => `stopping replica ${p.replica}: ${p.reason}; it will be restarted`,
  'event.replicaExited': (p) => `replica ${p.replica} ${p.reason}`,
  'event.creatingReplica': (p) => `creating replica ${p.replica} (${p.hash}) of ${p.replicas}`,
  'event.jobEnded': (p) => `job ${p.replica} ${p.result}`,
  'event.pulling': (p) => `pulling image ${p.image}`,
  'event.pullProgress': (p) => `pulling image ${p.image}: ${p.done} of ${p.layers} layers, ${p.megabytes} MB`,
  'event.pulled': (p) => `pulled image ${p.image} in ${p.seconds}s`,
  'event.backOff': (p) => `back-off ${p.delay} restarting failed replica (${p.reason})`,
  'event.logsNotKept': (p) => `previous run's logs not kept: ${p.error}`,
  'event.ofReplica': (p) => `${p.replica}: ${p.message}`,
  'event.scaling': (p) => `scaling ${p.service} (${p.hash}) to ${p.replicas}, removing ${p.removing} replica(s)`,
  'event.scalingCanary': (p) =>
    `scaling ${p.service} canary (${p.hash}) to ${p.replicas}, removing ${p.removing} replica(s)`,
  'event.scheduled': (p) => `assigned ${p.replica} port ${p.port}`,
  'event.failedCreate': (p) => `cannot create a replica of ${p.service}: ${p.error}`,
  'event.stopping': (p) => `stopping replica ${p.replica} (grace period ${p.graceMs}ms)`,
  'event.waitingOldPods': (p) =>
    `waiting for ${p.count} old pod${p.count === 1 ? '' : 's'} of ${p.workload} to terminate`,
  'release.kubernetesCrashLoop': (p) =>
    `${p.service}: crash loop: pod ${p.pod} container ${p.container} crashed ${p.restarts} time${p.restarts === 1 ? '' : 's'} in a row without ever becoming ready${p.waiting}${p.lastExit}${p.lastMessage}`,
  'crash.backOff': () => ' (CrashLoopBackOff)',
  'crash.lastExit': (p) => `; last exit: ${p.exit}${p.reason}`,
  'crash.lastMessage': (p) => `; last message: ${p.message}`,
  'crash.exitCode': (p) => `exited with code ${p.code}`,
  'crash.signal': (p) => `killed by signal ${p.signal}`,
  'crash.terminated': () => 'terminated',
  // probe attempts (ProbeResult.detail): the OS's own error text stays as it is inside them
  'probe.httpStatus': (p) => `HTTP ${p.status} from ${p.path}`,
  'probe.httpError': (p) => `GET ${p.path}: ${p.error}`,
  'probe.httpTimeout': (p) => `GET ${p.path}: no response within ${p.timeoutMs}ms`,
  'probe.tcpConnected': (p) => `tcp ${p.address}: connected`,
  'probe.tcpError': (p) => `tcp ${p.address}: ${p.error}`,
  'probe.tcpTimeout': (p) => `tcp ${p.address}: no connection within ${p.timeoutMs}ms`,
  'probe.execEmpty': () => 'exec probe has an empty command',
  'probe.execOk': (p) => `exec ${p.file}: exit 0`,
  'probe.execExitCode': (p) => `exec ${p.file}: exit code ${p.code}${p.stderr}`,
  'probe.execKilled': (p) => `exec ${p.file}: killed by ${p.signal}${p.stderr}`,
  'probe.execError': (p) => `exec ${p.file}: ${p.error}`,
  'probe.execTimeout': (p) => `exec ${p.file}: no exit within ${p.timeoutMs}ms`,
  'probe.execNotRunning': () => 'exec probe: the container is not running',
  'probe.stderr': (p) => `: ${p.line}`,
  'probe.unknown': () => 'unknown',
  // how a replica's command ended (ReplicaStatus.lastExit.reasonMessage) and what it does now (messageDetail)
  'exit.code': (p) => `exited with code ${p.code}`,
  'exit.signal': (p) => `killed by ${p.signal}`,
  'exit.shortCode': (p) => `exit code ${p.code}`,
  'exit.withExcerpt': (p) => `${p.how}: ${p.excerpt}`,
  'exit.error': (p) => String(p.error),
  'exit.commandNotFound': (p) => `command not found: ${p.file} (${p.error})`,
  'exit.notExecutable': (p) => `permission denied: ${p.file} is not executable (${p.error})`,
  'exit.noWorkingDir': (p) => `the working directory ${p.dir} does not exist`,
  'exit.shimNotStarted': (p) => `cannot start the shim: ${p.error}`,
  'exit.shimExitedEarly': () => 'the shim exited before starting the command',
  'exit.shimDied': () => 'its shim died unexpectedly',
  'exit.oomKilled': () => 'OOMKilled',
  'exit.livenessFailed': (p) => `liveness probe failed: ${p.detail}`,
  'exit.exited': () => 'exited',
  'replica.waitingToRestart': (p) => `waiting to restart (${p.reason})`,
  'replica.waitingForConverge': () => 'waiting for converge to restart it (its environment is not kept on disk)',
  'replica.startingProcess': () => 'starting the process',
  'replica.startingContainer': () => 'starting the container',
  'replica.waitingForReadiness': () => 'waiting for the readiness probe',
  // a job's run (JobRunStatus.reasonMessage, its replica's messageDetail)
  'job.completed': (p) => `completed (${p.attempts} run${p.attempts === 1 ? '' : 's'})`,
  'job.failed': (p) => `failed: ${p.reason} (${p.attempts} run${p.attempts === 1 ? '' : 's'})`,
  'job.replaced': () => 'replaced by a newer run',
  'job.lost': () => 'the runtime no longer has this run',
  'job.noOutput': () => '(no output)',
  'job.couldNotStart': (p) => `could not start: ${p.error}`,
  'job.missed': () => 'the control plane was not running at its time',
  'job.skipped': (p) => `concurrency forbid: ${p.running} still running`,
  // a cluster workload's rollout as `kubectl rollout status` reads it (kubernetes/rolloutStatus.ts)
  'workload.waitingGeneration': (p) => `waiting for ${p.workload} generation ${p.generation} to be observed`,
  'workload.deadlineExceeded': () => 'progress deadline exceeded',
  'workload.deadlineExceededBecause': (p) => `progress deadline exceeded: ${p.message}`,
  'workload.noProgress': () => 'the rollout made no progress',
  'workload.replicasUpdated': (p) => `${p.updated} of ${p.desired} new replicas updated, ${p.ready} ready`,
  'workload.oldReplicasPending': (p) => `${p.count} old replicas pending termination`,
  'workload.replicasAvailable': (p) => `${p.available} of ${p.updated} updated replicas available, ${p.ready} ready`,
  'workload.deploymentDone': (p) => `${p.ready} of ${p.desired} replicas ready and available`,
  'workload.onDelete': () => 'OnDelete update strategy: pods are replaced when deleted',
  'workload.replicasReady': (p) => `${p.ready} of ${p.desired} replicas ready`,
  'workload.partitionDone': (p) => `partitioned rollout: ${p.updated} replicas updated`,
  'workload.partitionUpdating': (p) => `${p.updated} of ${p.wanted} replicas updated (partition ${p.partition})`,
  'workload.atRevision': (p) => `${p.updated} of ${p.desired} replicas at revision ${p.revision}`,
  'workload.podsScheduled': (p) => `${p.updated} of ${p.desired} updated pods scheduled`,
  'workload.podsAvailable': (p) => `${p.available} of ${p.desired} updated pods available`,
  'workload.daemonSetDone': (p) => `${p.available} of ${p.desired} pods available`,
  'workload.failed': () => 'failed',
  'workload.jobFailed': (p) => `job failed: ${p.message}`,
  'workload.completions': (p) => `${p.succeeded} of ${p.completions} completions`,
  'workload.completionsActive': (p) => `${p.succeeded} of ${p.completions} completions, ${p.active} active`,
  'workload.applied': () => 'applied',
  'event.ofObject': (p) => `${p.object}: ${p.message}`,
  'release.kubernetesRolloutFailed': (p) => `${p.service}: rollout of ${p.object} failed: ${p.error}`,
  'release.kubernetesInterrupted': (p) => `${p.service}: rollout of ${p.object} interrupted: ${p.why}`,
  'release.kubernetesDeleted': (p) => `${p.service}: ${p.object} was deleted during its rollout`,
  'release.kubernetesOldPods': (p) => `${p.service}: ${p.count} old pods of ${p.object} did not terminate`,
  'release.kubernetesNoProgress': (p) =>
    `${p.service}: rollout of ${p.object} made no progress for ${p.seconds}s: ${p.last}`,
  // what the Kubernetes runtime did while converging (kubernetes/convergeEvents.ts)
  'kube.aborted': () => 'aborted',
  'kube.item': (p) => String(p.item),
  'kube.list': (p) => `${p.first}, ${p.rest}`,
  'kube.legacySelector': (p) =>
    `${p.object} keeps the pod selector ${p.legacy} an earlier Berth applied (selectors are immutable): it rolls as usual; delete it to take ${p.current}`,
  'kube.replaced': (p) => `deleted ${p.object} to apply it anew: ${p.why}`,
  'kube.applied': (p) => `server-side applied ${p.objects} to ${p.namespace}`,
  'kube.traffic': (p) => `canary ${p.canary}%, stable ${p.stable}%${p.match} (${p.objects})`,
  'kube.matchHeader': (p) => `, header ${p.header}: ${p.value}`,
  'kube.matchCookie': (p) => `, cookie ${p.cookie}=${p.value}`,
  'kube.pruned': (p) => `deleted ${p.objects}: no longer rendered`,
  'kube.converged': (p) => `${p.count} replica${p.count === 1 ? '' : 's'} of ${p.hash}${p.canary} ready`,
  'kube.convergedCanary': (p) => ` and ${p.count} of ${p.hash} (canary)`,
  'kube.routeApplied': (p) => `applied ${p.object}`,
  'kube.routeDeleted': (p) => `deleted ${p.object}`,
  // a gateway listener that cannot listen (local/listenerProblem.ts)
  'listener.cannotListen': (p) => `${p.what} cannot listen on 127.0.0.1:${p.port}: ${p.why}`,
  'listener.edgeOf': (p) => `the edge of ${p.key}`,
  'listener.addressOf': (p) => `the address of ${p.service}`,
  'listener.itsAddress': () => 'its address',
  'listener.inUse': () => 'another process uses that port (EADDRINUSE)',
  'listener.denied': () => 'permission denied (EACCES)',
  'listener.notBound': () =>
    'the gateway could not bind it when it started (see gateway/gateway.log in the Berth home)',
  // analysis checks (AnalysisCheck.messageDetail)
  'analysis.numbers': (p) => `${p.requests} requests, ${p.errors} errors (${p.rate})`,
  'analysis.numbersP99': (p) => `${p.requests} requests, ${p.errors} errors (${p.rate}), p99 ${p.p99} ms`,
  'analysis.tooFewFinished': (p) =>
    `the new version finished ${p.requests} requests where its weight asks for about ${p.expected} (${p.numbers})`,
  'analysis.tooFew': (p) =>
    `${p.requests} request${p.requests === 1 ? '' : 's'} < minRequests ${p.minRequests} (${p.numbers}): no verdict`,
  'analysis.errorRateOver': (p) => `error rate ${p.rate} > ${p.maxRate} (${p.numbers})`,
  'analysis.p99Over': (p) => `p99 ${p.p99} ms > ${p.maxP99} ms (${p.numbers})`,
  'analysis.errorRateAndP99Over': (p) =>
    `error rate ${p.rate} > ${p.maxRate}, p99 ${p.p99} ms > ${p.maxP99} ms (${p.numbers})`,
  'analysis.unmeasured': (p) => `the ${p.runtime} runtime measures no per-track traffic: no verdict`,
  'analysis.noReading': (p) => `no reading of the traffic: ${p.error}: no verdict`,
  'verdict.pass': () => 'pass',
  'verdict.fail': () => 'fail',
  'verdict.inconclusive': () => 'inconclusive',
  // circuit breaker (CircuitStatus.reasonMessage)
  'circuit.probeFailed': () => 'a half-open probe failed',
  'circuit.failures': (p) => `${p.count} failure${p.count === 1 ? '' : 's'} in a row`,
  'circuit.errorRate': (p) => `error rate ${p.percent}% over ${p.window}`,
  // autoscale reasons (TrackAutoscaleStatus.reasonMessage, ScaleEvent.reasonMessage)
  'autoscale.disabledAtZero': () => 'scaling is disabled at 0 replicas',
  'autoscale.aboveMax': () => 'current replicas above max',
  'autoscale.belowMin': () => 'current replicas below min',
  'autoscale.noMetrics': () => 'no metrics',
  'autoscale.metricErrors': (p) => String(p.errors),
  'autoscale.aboveTarget': (p) => `${p.metric} above target`,
  'autoscale.belowTarget': () => 'all metrics below target',
  'autoscale.withinTolerance': () => 'metrics within tolerance of target',
  'autoscale.waitingFirstSync': () => 'waiting for the first sync period',
} as const satisfies Record<string, (p: TextParams) => string>;

/** Every code a server-made message can have. */
export type ReasonCode = keyof typeof TEXT;

/** The codes, for tests and the console's key-parity check. */
export const REASON_CODES = Object.keys(TEXT) as ReasonCode[];

/** A server-made message: its code and params for translation, its English text for the CLI. */
export interface Message {
  code: ReasonCode;
  params: MessageParams;
  text: string;
}

/** The message of `code` with `params`, its English text made from them. */
export function message(code: ReasonCode, params: MessageParams = {}): Message {
  const flat: TextParams = {};
  for (const [k, v] of Object.entries(params)) flat[k] = typeof v === 'object' ? v.text : v;
  return { code, params, text: TEXT[code](flat) };
}

/** An event's text and its message: spread into a release or runtime event. */
export function said(m: Message): { message: string; detail: Message } {
  return { message: m.text, detail: m };
}

/** An error that says why with a message (a release failing with it keeps the code). */
export interface WithMessage {
  reasonMessage?: Message;
}

/** The message an error carries, if any. */
export function messageOf(err: unknown): Message | undefined {
  const m = (err as WithMessage | null | undefined)?.reasonMessage;
  return m && typeof m.code === 'string' && Object.hasOwn(TEXT, m.code) ? m : undefined;
}

/**
 * The message a code and params read from outside (a file another process wrote) make, its text
 * made anew; undefined when the code is unknown or a param is neither a value nor such a message.
 */
export function messageFrom(stored: unknown): Message | undefined {
  if (typeof stored !== 'object' || stored === null) return undefined;
  const { code, params } = stored as { code?: unknown; params?: unknown };
  if (typeof code !== 'string' || !Object.hasOwn(TEXT, code)) return undefined;
  if (typeof params !== 'object' || params === null) return undefined;
  const out: MessageParams = {};
  for (const [k, v] of Object.entries(params)) {
    const value = typeof v === 'string' || typeof v === 'number' ? v : messageFrom(v);
    if (value === undefined) return undefined;
    out[k] = value;
  }
  return message(code as ReasonCode, out);
}

const STORED = '\u0000msg:';

/** A message as one text column holds it (a plain string stays as it is). */
export function encodeMessage(m: Message | string): string {
  return typeof m === 'string' ? m : `${STORED}${JSON.stringify(m)}`;
}

/** The text and message of a stored column value (rows written before codes have text only). */
export function decodeMessage(stored: string): { text: string; message?: Message } {
  if (!stored.startsWith(STORED)) return { text: stored };
  try {
    const m = JSON.parse(stored.slice(STORED.length)) as Message;
    if (typeof m.text === 'string' && Object.hasOwn(TEXT, m.code)) return { text: m.text, message: m };
  } catch {
    // not ours after all: show it as it is
  }
  return { text: stored };
}
