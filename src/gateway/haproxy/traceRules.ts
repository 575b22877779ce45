/**
 * Tracing where HAProxy serves a request alone (no Node listener behind it): the same W3C hop as
 * the Node data plane (spans.ts) in HAProxy 2.6's own rules. A valid incoming `traceparent` is
 * continued (an all-zero or upper-case id starts a new trace, as isValidTraceParent; versions
 * `f0`–`ff` too), else a trace is started (its id a UUIDv4's 32 hex digits); the hop gets a new span
 * id (16 of another UUID's), sent upstream in `traceparent`, and the trace id as `x-berth-trace-id`.
 * `tracestate` goes with a new trace. One log line per request carries the span to the gateway
 * (haproxySpans.ts): into HAProxy's ring buffer `LOG_RING`, which forwards the lines in batches over
 * one TCP connection to the gateway on 127.0.0.1 (a UDP datagram per request cost HAProxy a
 * `sendto` and the gateway a message event for each: some 10 µs of CPU a request, both together).
 */

/** The first word of a span's log line. */
export const SPAN_LOG_TAG = 'berth-span';

/** The ring buffer (config.ts `logRing`) every frontend logs its lines into. */
export const LOG_RING = 'berth-log';

/** The longest log line (a longer path is cut, which the gateway then reads as no span). */
export const LOG_LINE_BYTES = 2048;

/**
 * The ring buffer HAProxy logs into and the TCP server it forwards the lines to (the gateway's
 * `logPort`), one line each: 4 MiB hold some 25 000 lines, a second of full load, should the
 * gateway be busy for a moment; when it is full, new lines are dropped, never requests slowed.
 */
export function logRing(logPort: number): string[] {
  return [
    `ring ${LOG_RING}`,
    '  format raw',
    `  maxlen ${LOG_LINE_BYTES}`,
    `  size ${4 * 1024 * 1024}`,
    '  timeout connect 1s',
    '  timeout server 10s',
    `  server gateway 127.0.0.1:${logPort}`,
  ];
}

/**
 * What each line says, in order: trace id, span id, parent id (`-` when none), status (`-1` when
 * none was sent), accept time (`seconds.milliseconds`), active time (ms), the request's start and
 * the log's time in microseconds since the epoch (`txn.t0`, `-` when a rule answered before it was
 * set; `date(0,us)`), method, frontend, edge route index (`-` at a service address or when none
 * matched), server (`r1`, `c1`, `<NOSRV>`), and the path without the query, last (as the client
 * sent it: a route's prefix is stripped later). HAProxy 2.6 gives `%Ts.%ms` and `%Ta` in whole
 * milliseconds only, and a call on a quiet machine takes less than one: its span read 0 ms. Both
 * microsecond times are HAProxy's own clock (the date it takes at each wake-up of its poller), the
 * log's taken when the response has been sent, so the span starts when the request was read and
 * lasts until its answer left.
 */
const LOG_FORMAT = `${SPAN_LOG_TAG} %[var(txn.tid)] %[var(txn.sid)] %[var(txn.pid)] %ST %Ts.%ms %Ta %[var(txn.t0)] %[date(0,us)] %HM %f %[var(txn.route)] %s %HP`;

/** Sets `txn.t0`, the request's start in microseconds, first of the frontend's trace rules. */
const START_RULE = '  http-request set-var(txn.t0) date(0,us)';

/**
 * The rules of an HTTP frontend HAProxy serves alone, logging a line per request into `LOG_RING`
 * (forwarded to the gateway); with `tracing` false only the line (its ids `-`: no span, the counters
 * still get latency and route).
 */
export function traceRules(tracing = true, unlessAcl?: string): string[] {
  const tp = 'req.hdr(traceparent)';
  const log = [`  log ring@${LOG_RING} len ${LOG_LINE_BYTES} format raw local0`, `  log-format "${LOG_FORMAT}"`];
  // What goes to the Node edge is counted and traced there: no line to send here and throw away there.
  if (unlessAcl !== undefined) log.push(`  http-request set-log-level silent if ${unlessAcl}`);
  log.push(unlessAcl === undefined ? START_RULE : `${START_RULE} unless ${unlessAcl}`);
  if (!tracing) return log;
  // A request the frontend passes to Node (`unlessAcl`) is traced there: no span here, its log line is ignored.
  const guard = (rule: string): string => {
    if (unlessAcl === undefined || !rule.startsWith('  http-request')) return rule;
    if (rule.includes(' unless ')) return rule.replace(' unless ', ` unless ${unlessAcl} || `);
    if (rule.includes(' if ')) return rule.replace(' if ', ` if !${unlessAcl} `);
    return `${rule} unless ${unlessAcl}`;
  };
  // The log rules above are not guarded again: `set-log-level silent if to_node` read
  // `if !to_node to_node` (never), and every request handed to Node still sent its line.
  const rules = [
    `  acl tp_ok ${tp} -m reg ^[0-9a-e][0-9a-f]-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$`,
    `  acl tp_zero ${tp},field(2,-) -m str ${'0'.repeat(32)}`,
    `  acl tp_zero ${tp},field(3,-) -m str ${'0'.repeat(16)}`,
    `  http-request set-var(txn.tid) ${tp},field(2,-) if tp_ok !tp_zero`,
    `  http-request set-var(txn.pid) ${tp},field(3,-) if tp_ok !tp_zero`,
    `  http-request set-var(txn.flags) ${tp},field(4,-) if tp_ok !tp_zero`,
    '  http-request set-var(txn.tid) uuid,regsub(-,,g) unless { var(txn.tid) -m found }',
    '  http-request set-var(txn.flags) str(01) unless { var(txn.flags) -m found }',
    '  http-request set-var(txn.sid) uuid,regsub(-,,g),bytes(0,16)',
    '  http-request del-header tracestate unless { var(txn.pid) -m found }',
    '  http-request set-header traceparent 00-%[var(txn.tid)]-%[var(txn.sid)]-%[var(txn.flags)]',
    '  http-request set-header x-berth-trace-id %[var(txn.tid)]',
  ];
  return [...log, ...rules.map(guard)];
}
