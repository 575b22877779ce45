/**
 * What a log line says about itself: its level, message and trace id, read from the JSON shapes
 * of the common loggers (pino, logback/logstash, zap, structlog, ECS, Google Cloud's `severity`),
 * from logfmt (`level=warn msg=... trace_id=...`) or from a level word near the start of a plain
 * line. Pure; the index stores what it finds beside the raw line.
 */
import { ownGet } from '../own.js';
import { LOG_LEVELS, type LogLevel } from '../model/logSearch.js';

/** What a line was found to say; each field absent when it does not say it. */
export interface ParsedLine {
  level?: LogLevel;
  /** The message field of a structured line; absent for a plain line (its text is the message). */
  message?: string;
  traceId?: string;
}

const LEVEL_WORDS = new Map<string, LogLevel>([
  ['trace', 'trace'],
  ['verbose', 'trace'],
  ['debug', 'debug'],
  ['dbug', 'debug'],
  ['info', 'info'],
  ['information', 'info'],
  ['notice', 'info'],
  ['warn', 'warn'],
  ['warning', 'warn'],
  ['error', 'error'],
  ['err', 'error'],
  ['eror', 'error'],
  ['critical', 'fatal'],
  ['crit', 'fatal'],
  ['fatal', 'fatal'],
  ['panic', 'fatal'],
  ['dpanic', 'fatal'],
  ['alert', 'fatal'],
  ['emergency', 'fatal'],
]);

const MESSAGE_KEYS = ['msg', 'message', 'event', 'log.message'] as const;
const LEVEL_KEYS = ['level', 'severity', 'lvl', 'log.level', 'levelname', 'loglevel'] as const;
const TRACE_KEYS = [
  'trace_id',
  'traceId',
  'traceID',
  'trace.id',
  'dd.trace_id',
  'logging.googleapis.com/trace',
] as const;

/** A level word ("WARN", "Error") or a pino/bunyan number (10 trace … 60 fatal, anything between rounds down). */
export function levelOf(value: unknown): LogLevel | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (value < 10) return undefined;
    return LOG_LEVELS[Math.min(5, Math.floor(value / 10) - 1)];
  }
  if (typeof value !== 'string') return undefined;
  const word = value.trim().toLowerCase();
  if (/^\d+$/.test(word)) return levelOf(Number(word));
  return LEVEL_WORDS.get(word);
}

/** Parses one line of a replica's output (without the shim's time and stream). */
export function parseLine(line: string): ParsedLine {
  const text = line.trim();
  if (text.startsWith('{') && text.endsWith('}')) {
    const fields = jsonObject(text);
    if (fields) return fromFields(fields);
  }
  return fromPlain(text);
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A field by its flat name (`"log.level": …`) or by its dotted path (`"log": {"level": …}`), own keys only. */
function field(obj: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(obj, key)) return obj[key];
  const dot = key.indexOf('.');
  if (dot < 0) return undefined;
  const head = ownGet(obj, key.slice(0, dot));
  return head !== null && typeof head === 'object' && !Array.isArray(head)
    ? field(head as Record<string, unknown>, key.slice(dot + 1))
    : undefined;
}

function first(obj: Record<string, unknown>, keys: readonly string[], ok: (v: unknown) => boolean): unknown {
  for (const k of keys) {
    const v = field(obj, k);
    if (v !== undefined && ok(v)) return v;
  }
  return undefined;
}

const isText = (v: unknown): boolean => typeof v === 'string' && v !== '';

function fromFields(obj: Record<string, unknown>): ParsedLine {
  const out: ParsedLine = {};
  const level = levelOf(first(obj, LEVEL_KEYS, (v) => levelOf(v) !== undefined));
  if (level) out.level = level;
  const message = first(obj, MESSAGE_KEYS, isText);
  if (typeof message === 'string') out.message = message;
  const trace = first(obj, TRACE_KEYS, (v) => isText(v) || typeof v === 'number');
  if (trace !== undefined) out.traceId = traceIdOf(String(trace));
  return out;
}

// A level word among the first few tokens: "ERROR ...", "[warn] ...", "2026-01-02 10:00:00 INFO ...",
// "E0102 ..." is not read (klog's letter needs context a word does not give).
const PLAIN_LEVEL =
  /^(?:\S+\s+){0,3}?[[(<]?(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|PANIC|trace|debug|info|warn|warning|error|fatal|Trace|Debug|Info|Warn|Warning|Error|Fatal)[\])>:]?(?:\s|$)/;
const LOGFMT_LEVEL = /(?:^|\s)(?:level|lvl|severity)=("?)([A-Za-z]+)\1(?=\s|$)/;
const LOGFMT_MSG = /(?:^|\s)msg=(?:"((?:[^"\\]|\\.)*)"|(\S+))/;
const PLAIN_TRACE = /(?:^|[\s,;{[(])"?(?:trace_id|traceId|traceID|trace\.id|trace)"?\s*[=:]\s*"?([0-9A-Za-z-]{8,64})/;
const TRACEPARENT = /\b00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}\b/;
/** "trace 4bf9…" with a space: only a whole W3C trace id (32 hex digits) is taken, never a word. */
const WORD_TRACE = /(?:^|\s)trace\s+([0-9a-fA-F]{32})(?![0-9A-Za-z])/;

function fromPlain(text: string): ParsedLine {
  const out: ParsedLine = {};
  const logfmt = LOGFMT_LEVEL.exec(text);
  const level = logfmt ? levelOf(logfmt[2]) : levelOf(PLAIN_LEVEL.exec(text)?.[1]);
  if (level) out.level = level;
  if (logfmt) {
    const m = LOGFMT_MSG.exec(text);
    if (m) out.message = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!;
  }
  const trace = PLAIN_TRACE.exec(text)?.[1] ?? TRACEPARENT.exec(text)?.[1] ?? WORD_TRACE.exec(text)?.[1];
  if (trace) out.traceId = traceIdOf(trace);
  return out;
}

/** A trace id as the index keeps it: W3C ids are lower-case hex, so case never splits a trace. */
function traceIdOf(raw: string): string {
  const t = raw.trim();
  const w3c = TRACEPARENT.exec(t);
  if (w3c) return w3c[1]!;
  return /^[0-9A-Fa-f]+$/.test(t) ? t.toLowerCase() : t;
}
