/** Slack's incoming-webhook payload: a fallback `text` and Block Kit blocks, mrkdwn escaped. */
import { describe, expect, it } from 'vitest';
import { slackAccepted, slackRequest } from './slack.js';
import { firing, resolved } from './testing.js';

describe('the Slack formatter', () => {
  it('posts text and a header and section block to the incoming webhook', () => {
    const url = 'https://hooks.slack.com/services/T000/B000/XXXX';
    const r = slackRequest({ type: 'slack', url }, { ...firing, summary: 'p99 > 2s & <rising>' });
    expect(r.url).toBe(url);
    expect(JSON.parse(r.body)).toEqual({
      text: '[FIRING] shop/prod orders-errors (critical): error-rate of orders is 0.12 (threshold 0.05)',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '[FIRING] shop/prod orders-errors (critical)' } },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: 'error-rate of orders is 0.12 (threshold 0.05)\np99 &gt; 2s &amp; &lt;rising&gt;\nsince 2026-12-06T09:00:00.000Z',
          },
        },
      ],
    });
  });

  it('says when an alert resolved', () => {
    const body = JSON.parse(slackRequest({ type: 'slack', url: 'https://hooks.slack.com/x' }, resolved).body) as {
      text: string;
    };
    expect(body.text).toMatch(/^\[RESOLVED\] /);
  });

  it('reads Slack’s 200 ok as delivered and its 4xx reasons as not', () => {
    expect(slackAccepted(200, 'ok')).toEqual({ ok: true });
    expect(slackAccepted(404, 'no_service')).toEqual({ ok: false, reason: 'HTTP 404: no_service' });
  });
});
