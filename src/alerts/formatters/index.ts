/** The formatter of each channel type: the request that sends a notification, and how its answer reads. */
import type { Channel } from '../channel.js';
import type { Notification } from '../notification.js';
import { alertmanagerAccepted, alertmanagerRequest } from './alertmanager.js';
import { dingtalkAccepted, dingtalkRequest } from './dingtalk.js';
import { feishuAccepted, feishuRequest } from './feishu.js';
import type { OutgoingRequest, Verdict } from './request.js';
import { slackAccepted, slackRequest } from './slack.js';
import { webhookAccepted, webhookRequest } from './webhook.js';
import { wecomAccepted, wecomRequest } from './wecom.js';

export type { OutgoingRequest, Verdict } from './request.js';

/** The request that sends `n` to `channel` now (`nowMs`: signatures carry a timestamp). */
export function requestFor(channel: Channel, n: Notification, nowMs: number): OutgoingRequest {
  switch (channel.type) {
    case 'webhook':
      return webhookRequest(channel, n);
    case 'slack':
      return slackRequest(channel, n);
    case 'dingtalk':
      return dingtalkRequest(channel, n, nowMs);
    case 'wecom':
      return wecomRequest(channel, n);
    case 'feishu':
      return feishuRequest(channel, n, nowMs);
    case 'alertmanager':
      return alertmanagerRequest(channel, n);
  }
}

/** Whether `channel`'s receiver took the notification, from its answer. */
export function verdictOf(channel: Channel, status: number, body: string): Verdict {
  switch (channel.type) {
    case 'webhook':
      return webhookAccepted(status, body);
    case 'slack':
      return slackAccepted(status, body);
    case 'dingtalk':
      return dingtalkAccepted(status, body);
    case 'wecom':
      return wecomAccepted(status, body);
    case 'feishu':
      return feishuAccepted(status, body);
    case 'alertmanager':
      return alertmanagerAccepted(status, body);
  }
}
