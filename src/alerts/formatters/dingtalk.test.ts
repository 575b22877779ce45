/**
 * DingTalk's robot payload (markdown) and its signing: `timestamp` (ms) and `sign` in the URL, the
 * sign checked against a vector computed independently (Python's hmac, per DingTalk's documentation).
 */
import { describe, expect, it } from 'vitest';
import { dingtalkAccepted, dingtalkRequest, dingtalkSign } from './dingtalk.js';
import { firing, SIGNED_AT_MS } from './testing.js';

const url = 'https://oapi.dingtalk.com/robot/send?access_token=abc123';

describe('the DingTalk formatter', () => {
  it('posts a markdown message with a title and the measurement', () => {
    const r = dingtalkRequest({ type: 'dingtalk', url }, firing, SIGNED_AT_MS);
    expect(r.url).toBe(url);
    expect(JSON.parse(r.body)).toEqual({
      msgtype: 'markdown',
      markdown: {
        title: '[FIRING] shop/prod orders-errors (critical)',
        text: '#### [FIRING] shop/prod orders-errors (critical)\n\n> error-rate of orders is 0.12 (threshold 0.05)\n\n> orders answers errors\n\n> since 2026-12-06T09:00:00.000Z',
      },
    });
  });

  it('signs with timestamp and sign in the URL when the robot has a secret', () => {
    const secret = 'SEC0123456789abcdef';
    expect(dingtalkSign(SIGNED_AT_MS, secret)).toBe('TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=');
    const r = dingtalkRequest({ type: 'dingtalk', url, secret }, firing, SIGNED_AT_MS);
    expect(r.url).toBe(`${url}&timestamp=1700000000000&sign=TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D`);
  });

  it('takes errcode 0 as delivered, and a 200 with another errcode as refused', () => {
    expect(dingtalkAccepted(200, '{"errcode":0,"errmsg":"ok"}')).toEqual({ ok: true });
    expect(dingtalkAccepted(200, '{"errcode":310000,"errmsg":"sign not match"}')).toMatchObject({ ok: false });
    expect(dingtalkAccepted(200, 'not json')).toMatchObject({ ok: false });
  });
});
