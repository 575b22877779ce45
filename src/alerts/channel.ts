/**
 * Where an alert is sent: a generic JSON webhook, Slack, DingTalk, WeCom (企业微信), Feishu, or an
 * Alertmanager. The schema checks each URL when a rule is written; what a channel is shown as
 * (`channelView`) keeps its credentials out: chat robots carry their token in the URL, so only the
 * URL's origin is shown and a signing secret only as set or not.
 */
import { z } from 'zod';
import { MASK } from '../model/mask.js';

/** The kinds of channel, each with its own payload format in `formatters/`. */
export const CHANNEL_TYPES = ['webhook', 'slack', 'dingtalk', 'wecom', 'feishu', 'alertmanager'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** An absolute http(s) URL without user info; anything else is refused naming the field. */
export function httpUrl(what: string) {
  return z
    .string()
    .max(2048)
    .superRefine((v, ctx) => {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: `${what} is not a URL (expected e.g. https://host/path): "${v}"` });
        return;
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:')
        ctx.addIssue({ code: 'custom', message: `${what} must be http:// or https:// (got ${u.protocol})` });
      else if (u.username !== '' || u.password !== '')
        ctx.addIssue({ code: 'custom', message: `${what} must not carry a user name or password` });
    });
}

const signingSecret = z
  .string()
  .min(1)
  .max(256)
  .optional()
  .describe(
    'The robot’s signing secret; requests are signed (timestamp + sign) when it is set. Stored encrypted, never shown',
  );

/** One notification channel of a rule. */
export const Channel = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('webhook'),
      url: httpUrl('webhook url'),
      secret: signingSecret.describe(
        'When set, each request carries X-Berth-Signature: sha256=<hex HMAC-SHA256 of the body>. Stored encrypted',
      ),
    })
    .strict()
    .describe('A generic JSON webhook (Berth’s own payload, version 1)'),
  z
    .object({ type: z.literal('slack'), url: httpUrl('Slack incoming webhook url') })
    .strict()
    .describe('A Slack incoming webhook (https://hooks.slack.com/services/...)'),
  z
    .object({ type: z.literal('dingtalk'), url: httpUrl('DingTalk robot url'), secret: signingSecret })
    .strict()
    .describe('A DingTalk custom robot (https://oapi.dingtalk.com/robot/send?access_token=...)'),
  z
    .object({ type: z.literal('wecom'), url: httpUrl('WeCom robot url') })
    .strict()
    .describe('A WeCom (企业微信) group robot (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...)'),
  z
    .object({ type: z.literal('feishu'), url: httpUrl('Feishu bot url'), secret: signingSecret })
    .strict()
    .describe('A Feishu custom bot (https://open.feishu.cn/open-apis/bot/v2/hook/...)'),
  z
    .object({ type: z.literal('alertmanager'), url: httpUrl('Alertmanager url') })
    .strict()
    .describe('An Alertmanager: its base URL; alerts are posted to <url>/api/v2/alerts'),
]);
export type Channel = z.infer<typeof Channel>;

/** A channel as the API and CLI show it: the URL's origin only, the secret masked. */
export interface ChannelView {
  type: ChannelType;
  url: string;
  secret?: typeof MASK;
}

/** What a channel is shown as. */
export function channelView(c: Channel): ChannelView {
  const u = new URL(c.url);
  const hidden = u.pathname !== '/' || u.search !== '' || u.hash !== '';
  const view: ChannelView = { type: c.type, url: hidden ? `${u.origin}/${MASK}` : u.origin };
  if ('secret' in c && c.secret !== undefined) view.secret = MASK;
  return view;
}
