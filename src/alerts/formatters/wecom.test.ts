/** WeCom (企业微信) group robot payload: markdown with WeCom's font colours. */
import { describe, expect, it } from 'vitest';
import { firing, resolved } from './testing.js';
import { wecomAccepted, wecomRequest } from './wecom.js';

const url = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx';

describe('the WeCom formatter', () => {
  it('posts markdown content, a firing alert in the warning colour', () => {
    const r = wecomRequest({ type: 'wecom', url }, firing);
    expect(r.url).toBe(url);
    expect(JSON.parse(r.body)).toEqual({
      msgtype: 'markdown',
      markdown: {
        content:
          '**<font color="warning">[FIRING] shop/prod orders-errors (critical)</font>**\n> error-rate of orders is 0.12 (threshold 0.05)\n> orders answers errors\n> since 2026-12-06T09:00:00.000Z',
      },
    });
  });

  it('shows a resolved alert in the info colour', () => {
    const body = JSON.parse(wecomRequest({ type: 'wecom', url }, resolved).body) as { markdown: { content: string } };
    expect(body.markdown.content).toMatch(/^\*\*<font color="info">\[RESOLVED\]/);
  });

  it('takes errcode 0 as delivered and another as refused', () => {
    expect(wecomAccepted(200, '{"errcode":0,"errmsg":"ok"}')).toEqual({ ok: true });
    expect(wecomAccepted(200, '{"errcode":93000,"errmsg":"invalid webhook url"}')).toMatchObject({ ok: false });
  });
});
