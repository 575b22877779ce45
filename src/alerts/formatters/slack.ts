/**
 * Slack incoming webhooks: a JSON POST of `text` (the fallback shown in notifications) and `blocks`
 * (Block Kit: a header and a mrkdwn section). Slack answers 200 `ok`, or 4xx with a reason
 * (`invalid_payload`, `no_service`).
 */
import type { Channel } from '../channel.js';
import { detailLines, titleOf, type Notification } from '../notification.js';
import { acceptedIf2xx, jsonPost, type OutgoingRequest } from './request.js';

type SlackChannel = Extract<Channel, { type: 'slack' }>;

/** Slack's mrkdwn needs &, < and > escaped. */
const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The POST of a notification to a Slack incoming webhook. */
export function slackRequest(channel: SlackChannel, n: Notification): OutgoingRequest {
  const title = titleOf(n);
  return jsonPost(channel.url, {
    text: `${title}: ${detailLines(n)[0]}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: detailLines(n).map(escape).join('\n') } },
    ],
  });
}

export const slackAccepted = acceptedIf2xx;
