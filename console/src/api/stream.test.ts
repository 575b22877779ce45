import { describe, expect, it } from 'vitest';
import { NdjsonParser, SseParser } from './stream';

describe('SseParser', () => {
  it('joins messages split across chunks anywhere, skips comments, keeps ids and multi-line data', () => {
    const text = 'id: 1\nevent: event\ndata: {"a":1}\n\n: keep-alive\n\nevent: release\ndata: line1\ndata: line2\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const got = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(got).toEqual([
        { event: 'event', data: '{"a":1}', id: '1' },
        { event: 'release', data: 'line1\nline2', id: '1' },
      ]);
    }
  });

  it('handles CRLF line ends and the default event name', () => {
    expect(new SseParser().push('data: x\r\n\r\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});

describe('NdjsonParser', () => {
  it('parses complete lines and keeps the partial last one', () => {
    const p = new NdjsonParser<{ n: number }>();
    expect(p.push('{"n":1}\n{"n"')).toEqual([{ n: 1 }]);
    expect(p.push(':2}\n\n')).toEqual([{ n: 2 }]);
    expect(p.push('')).toEqual([]);
  });
});
