/**
 * Feishu's custom bot payload (text) and its signing: `timestamp` (seconds, a string) and `sign` in
 * the body, the sign checked against a vector computed independently (Python's hmac, keyed by
 * timestamp + "\n" + secret over an empty message, per Feishu's documentation).
 */
import { describe, expect, it } from 'vitest';
import { feishuAccepted, feishuRequest, feishuSign } from './feishu.js';
import { firing, SIGNED_AT_MS } from './testing.js';

const url = 'https://open.feishu.cn/open-apis/bot/v2/hook/2e9b6b2c-xxxx';

describe('the Feishu formatter', () => {
  it('posts a text message, unsigned without a secret', () => {
    const r = feishuRequest({ type: 'feishu', url }, firing, SIGNED_AT_MS);
    expect(r.url).toBe(url);
    expect(JSON.parse(r.body)).toEqual({
      msg_type: 'text',
      content: {
        text: '[FIRING] shop/prod orders-errors (critical)\nerror-rate of orders is 0.12 (threshold 0.05)\norders answers errors\nsince 2026-12-06T09:00:00.000Z',
      },
    });
  });

  it('signs with timestamp (seconds) and sign in the body when the bot has a secret', () => {
    expect(feishuSign(1_700_000_000, 'fs-secret')).toBe('ognpFOmraex6LA29Ao14dsiNmmjE3YO4x5e/SX8n9Bw=');
    const body = JSON.parse(
      feishuRequest({ type: 'feishu', url, secret: 'fs-secret' }, firing, SIGNED_AT_MS).body,
    ) as Record<string, unknown>;
    expect(body).toMatchObject({
      timestamp: '1700000000',
      sign: 'ognpFOmraex6LA29Ao14dsiNmmjE3YO4x5e/SX8n9Bw=',
      msg_type: 'text',
    });
  });

  it('takes code 0 (or an older bot’s StatusCode 0) as delivered, another as refused', () => {
    expect(feishuAccepted(200, '{"code":0,"data":{},"msg":"success"}')).toEqual({ ok: true });
    expect(feishuAccepted(200, '{"StatusCode":0,"StatusMessage":"success"}')).toEqual({ ok: true });
    expect(feishuAccepted(200, '{"code":19021,"msg":"sign match fail"}')).toMatchObject({ ok: false });
  });
});
