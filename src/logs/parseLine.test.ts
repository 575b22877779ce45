/** The log line parser: one test per logger's shape, plain lines, and what it must not read. */
import { describe, expect, it } from 'vitest';
import { levelOf, parseLine } from './parseLine.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('parseLine', () => {
  it('reads pino: a level number, msg, trace_id', () => {
    const line = JSON.stringify({
      level: 50,
      time: 1767225600000,
      pid: 1,
      msg: 'trade T-4711 failed',
      trace_id: TRACE,
    });
    expect(parseLine(line)).toEqual({ level: 'error', message: 'trade T-4711 failed', traceId: TRACE });
    expect(parseLine(JSON.stringify({ level: 30, msg: 'ok' }))).toEqual({ level: 'info', message: 'ok' });
    expect(parseLine(JSON.stringify({ level: 60, msg: 'down' })).level).toBe('fatal');
  });

  it('reads logback/logstash JSON: level, message, traceId or trace_id', () => {
    const line = JSON.stringify({
      '@timestamp': '2026-01-01T00:00:00.000Z',
      '@version': '1',
      message: 'Order 17 placed',
      logger_name: 'com.shop.Orders',
      level: 'WARN',
      level_value: 30000,
      traceId: TRACE.toUpperCase(),
    });
    expect(parseLine(line)).toEqual({ level: 'warn', message: 'Order 17 placed', traceId: TRACE });
  });

  it('reads zap: level, msg, ts', () => {
    const line = JSON.stringify({ level: 'debug', ts: 1767225600.123, caller: 'main.go:12', msg: 'cache miss' });
    expect(parseLine(line)).toEqual({ level: 'debug', message: 'cache miss' });
  });

  it('reads structlog: event, level', () => {
    const line = JSON.stringify({
      event: 'payment declined',
      level: 'error',
      timestamp: '2026-01-01T00:00:00Z',
      trace_id: TRACE,
    });
    expect(parseLine(line)).toEqual({ level: 'error', message: 'payment declined', traceId: TRACE });
  });

  it('reads ECS (nested log.level, trace.id) and Google Cloud’s severity', () => {
    const ecs = JSON.stringify({ log: { level: 'warning' }, message: 'slow', trace: { id: TRACE } });
    expect(parseLine(ecs)).toEqual({ level: 'warn', message: 'slow', traceId: TRACE });
    expect(parseLine(JSON.stringify({ severity: 'CRITICAL', message: 'x' })).level).toBe('fatal');
  });

  it('reads a level word near the start of a plain line', () => {
    expect(parseLine('ERROR could not reach db')).toEqual({ level: 'error' });
    expect(parseLine('[warn] retrying')).toEqual({ level: 'warn' });
    expect(parseLine('2026-01-02 10:00:00,123 INFO  [main] started')).toEqual({ level: 'info' });
    expect(parseLine('10:00:00 Error: boom')).toEqual({ level: 'error' });
  });

  it('reads logfmt: level, msg and trace_id', () => {
    expect(parseLine(`time=2026-01-01T00:00:00Z level=warn msg="disk \\"almost\\" full" trace_id=${TRACE}`)).toEqual({
      level: 'warn',
      message: 'disk "almost" full',
      traceId: TRACE,
    });
  });

  it('finds a trace id in a plain line and in a traceparent', () => {
    expect(parseLine(`GET /orders 500 trace=${TRACE}`).traceId).toBe(TRACE);
    expect(parseLine(`forwarding traceparent 00-${TRACE}-00f067aa0ba902b7-01`).traceId).toBe(TRACE);
    // "trace ID" with a space, as the example shop logs it: a whole 32-digit W3C id only.
    expect(parseLine(`info buy plum: 201 trace ${TRACE.toUpperCase()} trade T-1`).traceId).toBe(TRACE);
    expect(parseLine(`stack trace ${TRACE}0 follows`).traceId).toBeUndefined();
    expect(parseLine('printing the stack trace deadbeef').traceId).toBeUndefined();
  });

  it('reads no level where there is none, and no level from a word deep in the text', () => {
    expect(parseLine('listening on :8080')).toEqual({});
    expect(parseLine('the request to /a /b /c /d ended with an error')).toEqual({});
    expect(parseLine('{not json')).toEqual({});
    expect(parseLine('[1,2,3]')).toEqual({});
  });

  it('takes own fields only: a __proto__ key is data, not a prototype', () => {
    expect(parseLine('{"__proto__": {"level": "error"}, "msg": "x"}')).toEqual({ message: 'x' });
    expect(parseLine('{"level": "toString", "msg": "x"}')).toEqual({ message: 'x' });
  });

  it('maps level numbers and words', () => {
    expect([10, 20, 30, 40, 50, 60, 70].map(levelOf)).toEqual([
      'trace',
      'debug',
      'info',
      'warn',
      'error',
      'fatal',
      'fatal',
    ]);
    expect(levelOf('35')).toBe('info');
    expect(levelOf('nonsense')).toBeUndefined();
  });
});
