/**
 * Feishu custom bots: a JSON POST `{msg_type: "text", content: {text}}` to the bot's URL
 * (`…/open-apis/bot/v2/hook/…`). With a secret ("签名校验") the body also carries `timestamp`
 * (epoch seconds, as a string) and `sign` = base64 of HMAC-SHA256 keyed by `timestamp + "\n" + secret`
 * over an empty message (not DingTalk's way round). It answers 200 with `code` 0 (older bots:
 * `StatusCode` 0), or another.
 */
import { createHmac } from 'node:crypto';
import type { Channel } from '../channel.js';
import { detailLines, titleOf, type Notification } from '../notification.js';
import { acceptedIfCodeZero, jsonPost, type OutgoingRequest } from './request.js';

type FeishuChannel = Extract<Channel, { type: 'feishu' }>;

/** Feishu's `sign` for a timestamp (seconds) and secret. */
export function feishuSign(timestampSeconds: number, secret: string): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/** The POST of a notification to a Feishu bot, signed at `nowMs` when the channel has a secret. */
export function feishuRequest(channel: FeishuChannel, n: Notification, nowMs: number): OutgoingRequest {
  const seconds = Math.floor(nowMs / 1000);
  const signing =
    channel.secret !== undefined ? { timestamp: String(seconds), sign: feishuSign(seconds, channel.secret) } : {};
  return jsonPost(channel.url, {
    ...signing,
    msg_type: 'text',
    content: { text: [titleOf(n), ...detailLines(n)].join('\n') },
  });
}

export const feishuAccepted = acceptedIfCodeZero(['code', 'StatusCode']);
