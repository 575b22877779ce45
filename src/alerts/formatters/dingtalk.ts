/**
 * DingTalk custom robots: a JSON POST `{msgtype: "markdown", markdown: {title, text}}` to the robot's
 * URL (`…/robot/send?access_token=…`). With a secret ("加签") the URL also carries `timestamp` (epoch
 * ms) and `sign` = URL-encoded base64 of HMAC-SHA256 over `timestamp + "\n" + secret`, keyed by the
 * secret; DingTalk refuses one more than an hour old. It answers 200 with `errcode` 0, or another.
 */
import { createHmac } from 'node:crypto';
import type { Channel } from '../channel.js';
import { detailLines, titleOf, type Notification } from '../notification.js';
import { acceptedIfCodeZero, jsonPost, type OutgoingRequest } from './request.js';

type DingTalkChannel = Extract<Channel, { type: 'dingtalk' }>;

/** DingTalk's `sign` for a timestamp (ms) and secret, before URL encoding. */
export function dingtalkSign(timestampMs: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** The POST of a notification to a DingTalk robot, signed at `nowMs` when the channel has a secret. */
export function dingtalkRequest(channel: DingTalkChannel, n: Notification, nowMs: number): OutgoingRequest {
  const url = new URL(channel.url);
  if (channel.secret !== undefined) {
    url.searchParams.set('timestamp', String(nowMs));
    url.searchParams.set('sign', dingtalkSign(nowMs, channel.secret));
  }
  const title = titleOf(n);
  return jsonPost(url.toString(), {
    msgtype: 'markdown',
    markdown: { title, text: [`#### ${title}`, ...detailLines(n).map((l) => `> ${l}`)].join('\n\n') },
  });
}

export const dingtalkAccepted = acceptedIfCodeZero(['errcode']);
