/**
 * Messages the server makes for people (why a release failed, what a rollout step does, why the
 * autoscaler chose a count), as a stable `code` with `params` beside the English `text`. The CLI
 * prints `text`; the console translates `code` with `params` (console/src/i18n, `reasons.<code>`),
 * so a server-made message reads in the console's language. Dependency-free: the server and the
 * console's type-only imports share it.
 */

/** Values a message is made from. */
export type MessageParams = Record<string, string | number>;

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
  'release.rolloutFailed': (p) => `${p.service}: ${p.error}`,
  'release.cancelled': (p) => `cancelled by ${p.by}`,
  'release.cancelledRollingOut': (p) => `cancelled by ${p.by} while rolling out ${p.services}`,
  'release.timedOut': (p) => `timeout of ${p.duration} exceeded`,
  'release.timedOutRollingOut': (p) => `timeout of ${p.duration} exceeded while rolling out ${p.services}`,
  'release.crashLoop': (p) =>
    `${p.service}: crash loop: ${p.replica} crashed ${p.crashes} times in a row without ever becoming ready; last exit: ${p.lastExit}; last stderr: ${p.lastStderr}`,
  'release.crashLoopNoStderr': (p) =>
    `${p.service}: crash loop: ${p.replica} crashed ${p.crashes} times in a row without ever becoming ready; last exit: ${p.lastExit}`,
  'release.jobFailed': (p) =>
    `${p.service}: job failed after ${p.attempts} run${p.attempts === 1 ? '' : 's'}; last exit: ${p.lastExit}; log tail: ${p.logTail}`,
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
} as const satisfies Record<string, (p: MessageParams) => string>;

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
  return { code, params, text: TEXT[code](params) };
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
