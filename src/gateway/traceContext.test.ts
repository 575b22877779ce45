import { describe, expect, it } from 'vitest';
import { formatTraceParent, newSpanId, newTraceId, parseTraceParent } from './traceContext.js';

// The examples of https://www.w3.org/TR/trace-context/ (§3.2 traceparent header, §3.2.2.* fields).
const specExample = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('parseTraceParent', () => {
  it("reads the spec's example: trace id, parent id, sampled flag", () => {
    expect(parseTraceParent(specExample)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: 1,
    });
    expect(parseTraceParent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.flags).toBe(0);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['version ff (forbidden)', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'],
    ['non-hex digit', '00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01'],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['wrong separator', '00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['version 00 with more fields', `${specExample}-extra`],
    ['bad flags', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x'],
    ['later version glued to more', 'cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01xyz'],
  ])('refuses %s (the hop then starts a new trace)', (_what, value) => {
    expect(parseTraceParent(value)).toBeUndefined();
  });

  it('reads a later version by its first four fields (forward compatibility, §3.2.4)', () => {
    expect(parseTraceParent('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-the-future-holds')).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: 9,
    });
  });
});

describe('formatTraceParent and ids', () => {
  it("formats the spec's example back", () => {
    expect(formatTraceParent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 1)).toBe(specExample);
    expect(formatTraceParent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 0xab)).toMatch(/-ab$/);
  });

  it('makes distinct valid ids that round-trip through a traceparent', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const traceId = newTraceId();
      const spanId = newSpanId();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      seen.add(spanId);
      expect(parseTraceParent(formatTraceParent(traceId, spanId, 1))).toEqual({ traceId, parentId: spanId, flags: 1 });
    }
    expect(seen.size).toBe(2000);
  });
});
