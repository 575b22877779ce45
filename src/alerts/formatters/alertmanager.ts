/**
 * Alertmanager's API: `POST <url>/api/v2/alerts` with a JSON list of postable alerts — `labels`
 * (alertname, app, env, service, severity and the rule's), `annotations` (summary, description),
 * `startsAt`, and `endsAt` once resolved. Alertmanager groups, silences, inhibits and routes them
 * itself; it answers 200 with an empty body, or 400 with the reason.
 */
import type { Channel } from '../channel.js';
import { labelsOf, measurementOf, type Notification } from '../notification.js';
import { acceptedIf2xx, jsonPost, type OutgoingRequest } from './request.js';

type AlertmanagerChannel = Extract<Channel, { type: 'alertmanager' }>;

/** The POST of a notification to an Alertmanager. */
export function alertmanagerRequest(channel: AlertmanagerChannel, n: Notification): OutgoingRequest {
  const url = new URL(channel.url);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v2/alerts`;
  const annotations: Record<string, string> = { description: measurementOf(n) };
  if (n.summary !== undefined) annotations.summary = n.summary;
  if (n.value !== undefined) annotations.value = String(n.value);
  return jsonPost(url.toString(), [
    { labels: labelsOf(n), annotations, startsAt: n.startsAt, ...(n.endsAt !== undefined ? { endsAt: n.endsAt } : {}) },
  ]);
}

export const alertmanagerAccepted = acceptedIf2xx;
