/**
 * WeCom (企业微信) group robots: a JSON POST `{msgtype: "markdown", markdown: {content}}` to the
 * robot's URL (`…/cgi-bin/webhook/send?key=…`). WeCom's markdown colours text with
 * `<font color="warning|info|comment">`. It answers 200 with `errcode` 0, or another. No signing.
 */
import type { Channel } from '../channel.js';
import { detailLines, titleOf, type Notification } from '../notification.js';
import { acceptedIfCodeZero, jsonPost, type OutgoingRequest } from './request.js';

type WeComChannel = Extract<Channel, { type: 'wecom' }>;

/** The POST of a notification to a WeCom group robot. */
export function wecomRequest(channel: WeComChannel, n: Notification): OutgoingRequest {
  const colour = n.status === 'resolved' ? 'info' : n.severity === 'info' ? 'comment' : 'warning';
  const content = [`**<font color="${colour}">${titleOf(n)}</font>**`, ...detailLines(n).map((l) => `> ${l}`)].join(
    '\n',
  );
  return jsonPost(channel.url, { msgtype: 'markdown', markdown: { content } });
}

export const wecomAccepted = acceptedIfCodeZero(['errcode']);
