/**
 * Berth's generic JSON webhook: the notification as it is (`version: "1"`), and, when the channel
 * has a secret, `X-Berth-Signature: sha256=<hex HMAC-SHA256 of the body>` so a receiver can check
 * it came from Berth.
 */
import { createHmac } from 'node:crypto';
import type { Channel } from '../channel.js';
import { labelsOf, titleOf, type Notification } from '../notification.js';
import { acceptedIf2xx, jsonPost, type OutgoingRequest } from './request.js';

type WebhookChannel = Extract<Channel, { type: 'webhook' }>;

/** The payload version; a receiver can refuse one it does not know. */
export const WEBHOOK_VERSION = '1';

/** The POST of a notification to a generic webhook. */
export function webhookRequest(channel: WebhookChannel, n: Notification): OutgoingRequest {
  const body = { version: WEBHOOK_VERSION, title: titleOf(n), ...n, labels: labelsOf(n) };
  const request = jsonPost(channel.url, body);
  if (channel.secret !== undefined)
    request.headers['x-berth-signature'] =
      `sha256=${createHmac('sha256', channel.secret).update(request.body).digest('hex')}`;
  return request;
}

export const webhookAccepted = acceptedIf2xx;
