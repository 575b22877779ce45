/**
 * One webhook delivery, from the raw request to its answer: the app's secret from the pipelines, the
 * signature or token checked on the raw body, the event and delivery id headers, the payload read
 * into a push or pull-request event, the delivery id taken (a replay is refused), the pipelines told,
 * and the outcome written. Every delivery to an app with a webhook is written, refused ones too
 * (docs/webhooks.md has the answers).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { BerthError } from '../errors.js';
import {
  ConflictError,
  NotFoundError,
  TooLargeError,
  UnauthorizedError,
  ValidationError,
  httpStatusOf,
  toBerthError,
} from '../errors.js';
import type { PipelineTriggers, TriggerAnswer } from '../model/delivery.js';
import { DNS_LABEL } from '../model/names.js';
import type { HookDeliveryOutcome } from '../model/hookDelivery.js';
import type { HookDeliveries } from './deliveryStore.js';
import { HOOK_PROVIDERS, header, type HookProvider } from './providers.js';
import { readPayload } from './payloads.js';

/** The longest delivery id or event name taken (providers send UUIDs and short names). */
const MAX_HEADER_CHARS = 200;

/** A delivery as the route gives it. */
export interface HookRequest {
  /** The URL's `{provider}` segment. */
  provider: string;
  app: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as sent (the signature is over these bytes). */
  body: Buffer;
}

/** What is answered: a status and a JSON body. */
export interface HookAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface ReceiverDeps {
  /** The pipelines (absent until a pipeline part is wired: every delivery is then a 404). */
  triggers: PipelineTriggers | undefined;
  deliveries: HookDeliveries;
  now?: () => Date;
  /** Told about failures of the pipelines (not about refused deliveries: anyone can send those). */
  onError?: (err: unknown, app: string) => void;
}

/** The one 404 for "no such app" and "no webhook": the URL does not tell which apps exist. */
const noWebhook = (app: string): NotFoundError =>
  new NotFoundError(
    `no webhook at this URL: app ${app} does not exist or its pipeline has no webhook secret (docs/webhooks.md)`,
  );

const answerOf = (err: BerthError): HookAnswer => ({ status: httpStatusOf(err), body: { ...err.toJSON() } });

/** The provider and the app's secret, or the 404 every unknown provider, app or webhook gets. */
async function secretFor(
  req: Pick<HookRequest, 'provider' | 'app'>,
  deps: ReceiverDeps,
): Promise<{ provider: HookProvider; secret: string } | HookAnswer> {
  if (!deps.triggers)
    return answerOf(
      new NotFoundError('no pipeline: this control plane runs no pipelines to trigger (docs/webhooks.md)'),
    );
  const provider = HOOK_PROVIDERS.get(req.provider);
  if (!provider)
    return answerOf(
      new NotFoundError(`no webhook provider ${JSON.stringify(req.provider)}: use github, gitlab, gitea or forgejo`),
    );
  // A name no app can have is not asked about: the same 404 as an unknown app.
  if (req.app.length > 63 || !DNS_LABEL.test(req.app)) return answerOf(noWebhook(req.app));
  const secret = await deps.triggers.webhookSecret(req.app);
  if (secret === undefined || secret === '') return answerOf(noWebhook(req.app));
  return { provider, secret };
}

/** Answers a delivery whose body was larger than the route takes (413), and writes it when the app has a webhook. */
export async function refuseOversized(
  req: Pick<HookRequest, 'provider' | 'app' | 'headers'>,
  limitBytes: number,
  deps: ReceiverDeps,
): Promise<HookAnswer> {
  const found = await secretFor(req, deps);
  if ('status' in found) return found;
  const err = new TooLargeError(`the webhook payload is larger than Berth takes (${limitBytes} bytes)`);
  await deps.deliveries.refuse({
    provider: found.provider.provider,
    app: req.app,
    receivedAt: (deps.now?.() ?? new Date()).toISOString(),
    ...optional('deliveryId', header(req.headers, found.provider.deliveryHeaders)),
    ...optional('event', header(req.headers, found.provider.eventHeaders)),
    status: 413,
    outcome: 'refused',
    detail: err.message,
  });
  return answerOf(err);
}

const optional = <K extends string>(key: K, v: string | undefined): { [k in K]?: string } =>
  (v === undefined ? {} : { [key]: v }) as { [k in K]?: string };

/** The JSON payload of the body: JSON itself, or GitHub's form encoding (`payload=<JSON>`). */
function payloadOf(headers: IncomingHttpHeaders, body: Buffer): unknown {
  let text = body.toString('utf8');
  if ((headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(text).get('payload');
    if (form === null)
      throw new ValidationError('the form-encoded webhook body has no payload field', [
        { file: 'request body', path: 'payload', message: 'is missing' },
      ]);
    text = form;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = `is not JSON: ${(err as Error).message}`;
    throw new ValidationError(`the webhook body ${message}`, [{ file: 'request body', path: '', message }]);
  }
}

/** Receives one delivery. */
export async function receiveHook(req: HookRequest, deps: ReceiverDeps): Promise<HookAnswer> {
  const found = await secretFor(req, deps);
  if ('status' in found) return found;
  const { provider, secret } = found;
  const receivedAt = (deps.now?.() ?? new Date()).toISOString();
  const event = header(req.headers, provider.eventHeaders);
  const deliveryId = header(req.headers, provider.deliveryHeaders);
  const base = {
    provider: provider.provider,
    app: req.app,
    receivedAt,
    // Header values are the sender's: what is written of them is bounded.
    ...optional('event', event?.slice(0, MAX_HEADER_CHARS)),
    ...optional('deliveryId', deliveryId?.slice(0, MAX_HEADER_CHARS)),
  };
  const refuse = async (err: BerthError, outcome: HookDeliveryOutcome = 'refused'): Promise<HookAnswer> => {
    const answer = answerOf(err);
    await deps.deliveries.refuse({ ...base, status: answer.status, outcome, detail: err.message });
    return answer;
  };
  const missing = (names: readonly string[], why: string): ValidationError =>
    new ValidationError(`no ${names.join(' or ')} header: ${why}`, [
      { file: 'request headers', path: names[0]!, message: 'is missing' },
    ]);

  // The secret first: an unsigned request learns nothing else.
  const bad = provider.authenticate(req.headers, req.body, secret);
  if (bad !== undefined) return refuse(new UnauthorizedError(bad));
  if (event === undefined) return refuse(missing(provider.eventHeaders, 'which event this is'));
  if (deliveryId === undefined)
    return refuse(missing(provider.deliveryHeaders, 'a signed delivery without its id could be replayed'));
  if (deliveryId.length > MAX_HEADER_CHARS || event.length > MAX_HEADER_CHARS)
    return refuse(
      new ValidationError('a webhook header is too long', [
        {
          file: 'request headers',
          path: deliveryId.length > MAX_HEADER_CHARS ? provider.deliveryHeaders[0]! : provider.eventHeaders[0]!,
          message: `is longer than ${MAX_HEADER_CHARS} characters`,
        },
      ]),
    );

  const kind = provider.kind(event);
  let read: ReturnType<typeof readPayload> | undefined;
  try {
    const payload = payloadOf(req.headers, req.body);
    if (kind === 'push' || kind === 'pull_request') read = readPayload(provider.provider, kind, deliveryId, payload);
  } catch (err) {
    return refuse(toBerthError(err));
  }
  const ref =
    read?.kind === 'push' ? read.event.ref : read?.kind === 'pull_request' ? `pull/${read.event.number}` : undefined;
  const commit =
    read?.kind === 'push' ? read.event.commit : read?.kind === 'pull_request' ? read.event.commit : undefined;

  const claim = await deps.deliveries.claim({
    ...base,
    deliveryId,
    status: 202,
    outcome: 'received',
    ...optional('ref', ref),
    ...optional('commit', commit),
  });
  if (!claim.taken)
    return refuse(
      new ConflictError(
        `delivery ${deliveryId} was received already (${claim.earlier.receivedAt}, ${claim.earlier.outcome}): a replay triggers nothing`,
        { details: { deliveryId, earlier: claim.earlier.id } },
      ),
      'replay',
    );

  const done = async (
    status: number,
    outcome: HookDeliveryOutcome,
    body: Record<string, unknown>,
    o: { detail?: string; runId?: string; release?: boolean } = {},
  ): Promise<HookAnswer> => {
    await deps.deliveries.finish(claim.id, { status, outcome, ...o });
    return { status, body: { deliveryId, ...body } };
  };
  if (kind === 'ping') return done(200, 'ping', { ignored: 'ping: the webhook reaches Berth' }, { detail: 'ping' });
  if (kind === undefined || read === undefined) {
    const reason = `event ${event} is not one Berth acts on (push and pull or merge requests are)`;
    return done(200, 'ignored', { ignored: reason }, { detail: reason });
  }
  if (read.kind === 'ignored') return done(200, 'ignored', { ignored: read.reason }, { detail: read.reason });

  let answer: TriggerAnswer;
  try {
    answer =
      read.kind === 'push'
        ? await deps.triggers!.onPush(req.app, read.event)
        : await deps.triggers!.onPullRequest(req.app, read.event);
  } catch (err) {
    deps.onError?.(err, req.app);
    const e = toBerthError(err);
    const status = httpStatusOf(e);
    // The id is freed: the provider's redelivery of a delivery the pipelines could not take is taken.
    await deps.deliveries.finish(claim.id, { status, outcome: 'failed', detail: e.message, release: true });
    // An internal failure's message stays with the deliveries' list (read with a token), not the sender.
    const body =
      status >= 500
        ? { code: e.code, message: 'the pipeline could not take this delivery: see `berth hooks deliveries`' }
        : { ...e.toJSON() };
    return { status, body: { deliveryId, ...body } };
  }
  if (answer.runId !== undefined) return done(202, 'triggered', { runId: answer.runId }, { runId: answer.runId });
  const reason = answer.ignored ?? 'the pipeline started no run';
  return done(200, 'ignored', { ignored: reason }, { detail: reason });
}
