/**
 * Berth's errors: one base class with a stable `code`, a small set of semantic subclasses,
 * and the mapping to HTTP status in exactly one function (`httpStatusOf`).
 */

/** Where a problem sits in an input: file, 1-based line and column, and the field path. */
export interface Problem {
  /** File the problem is in, or a label such as `request body` for non-file input. */
  file?: string;
  line?: number;
  column?: number;
  /** Dotted field path, e.g. `services.orders.replicas`. Empty for whole-document problems. */
  path: string;
  message: string;
}

/** Formats one problem as `file:line:col field.path: message`. */
export function formatProblem(p: Problem): string {
  const where = [p.file, p.line, p.column].filter((x) => x !== undefined && x !== '').join(':');
  const field = p.path ? `${p.path}: ` : '';
  return `${where ? `${where} ` : ''}${field}${p.message}`;
}

export const ErrorCode = {
  validation: 'VALIDATION',
  notFound: 'NOT_FOUND',
  conflict: 'CONFLICT',
  unauthorized: 'UNAUTHORIZED',
  forbidden: 'FORBIDDEN',
  locked: 'LOCKED',
  timeout: 'TIMEOUT',
  runtime: 'RUNTIME',
  unavailable: 'UNAVAILABLE',
  tooLarge: 'TOO_LARGE',
  tooManyRequests: 'TOO_MANY_REQUESTS',
  internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** JSON shape of every error Berth sends over HTTP or prints with `-o json`. */
export interface ErrorJSON {
  code: ErrorCode;
  message: string;
  problems?: Problem[];
  details?: Record<string, unknown>;
}

/**
 * The names of an error's classes, from its own up to BerthError, under a registered symbol: what
 * `instanceof` checks when the error was made by another copy of this module. The CLI runs as one
 * bundled file with its own copy, and the modules it loads on demand (spec loading, rendering,
 * compose import) throw errors made by the copy they import.
 */
const CLASSES = Symbol.for('berth.errorClasses');

/** Base class of every error Berth raises on purpose. */
export class BerthError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  /** `err instanceof ValidationError` holds for a ValidationError of any copy of this module. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const names = (value as { [CLASSES]?: unknown } | null | undefined)?.[CLASSES];
    return value instanceof Error && Array.isArray(names) && names.includes(this.name);
  }

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = opts.details;
    const names: string[] = [];
    for (let c: unknown = new.target; c !== Error && typeof c === 'function'; c = Object.getPrototypeOf(c))
      names.push((c as { name: string }).name);
    Object.defineProperty(this, CLASSES, { value: names });
  }

  toJSON(): ErrorJSON {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** Bad input: carries every problem found, each with file, line, column and field path. */
export class ValidationError extends BerthError {
  readonly problems: Problem[];
  constructor(message: string, problems: Problem[], opts: { cause?: unknown } = {}) {
    super(ErrorCode.validation, message, opts);
    this.problems = problems;
  }
  override toJSON(): ErrorJSON {
    return { ...super.toJSON(), problems: this.problems };
  }
  /** The message followed by one line per problem. */
  describe(): string {
    return [this.message, ...this.problems.map((p) => `  ${formatProblem(p)}`)].join('\n');
  }
}

export class NotFoundError extends BerthError {
  constructor(message: string, opts: { details?: Record<string, unknown> } = {}) {
    super(ErrorCode.notFound, message, opts);
  }
}

/** A write based on a stale version, or an operation that conflicts with current state. */
export class ConflictError extends BerthError {
  constructor(message: string, opts: { details?: Record<string, unknown> } = {}) {
    super(ErrorCode.conflict, message, opts);
  }
}

export class UnauthorizedError extends BerthError {
  constructor(message = 'a valid token is required (Authorization: Bearer <token>)') {
    super(ErrorCode.unauthorized, message);
  }
}

/** An identity that lacks the permission an operation needs (HTTP 403; details name it). */
export class ForbiddenError extends BerthError {
  constructor(message: string, opts: { details?: Record<string, unknown> } = {}) {
    super(ErrorCode.forbidden, message, opts);
  }
}

/** Another operation holds the (app, env) lease. */
export class LockedError extends BerthError {
  constructor(message: string, opts: { details?: Record<string, unknown> } = {}) {
    super(ErrorCode.locked, message, opts);
  }
}

export class TimeoutError extends BerthError {
  constructor(message: string, opts: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(ErrorCode.timeout, message, opts);
  }
}

/** A runtime could not make a service look like its desired state. */
export class RuntimeError extends BerthError {
  constructor(message: string, opts: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(ErrorCode.runtime, message, opts);
  }
}

/** The control plane (or another dependency) cannot be reached. */
export class UnavailableError extends BerthError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(ErrorCode.unavailable, message, opts);
  }
}

/** An input above a documented size limit (the message names the limit). */
export class TooLargeError extends BerthError {
  constructor(message: string, opts: { details?: Record<string, unknown> } = {}) {
    super(ErrorCode.tooLarge, message, opts);
  }
}

export class InternalError extends BerthError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(ErrorCode.internal, message, opts);
  }
}

/** Wraps anything thrown into a BerthError; unknown errors become internal errors. */
export function toBerthError(err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(message, { cause: err });
}

/** The one place that maps error codes to HTTP status codes. */
export function httpStatusOf(err: BerthError): number {
  switch (err.code) {
    case ErrorCode.validation:
      return 400;
    case ErrorCode.unauthorized:
      return 401;
    case ErrorCode.forbidden:
      return 403;
    case ErrorCode.notFound:
      return 404;
    case ErrorCode.conflict:
    case ErrorCode.locked: // another operation runs on the (app, env): a conflict with current state
      return 409;
    case ErrorCode.tooLarge:
      return 413;
    case ErrorCode.tooManyRequests:
      return 429;
    case ErrorCode.timeout:
      return 504;
    case ErrorCode.unavailable:
      return 503;
    case ErrorCode.runtime:
      return 502;
    case ErrorCode.internal:
      return 500;
  }
}

/** Rebuilds a BerthError from its JSON form (used by the CLI's HTTP client). */
export function fromErrorJSON(json: ErrorJSON): BerthError {
  switch (json.code) {
    case ErrorCode.validation:
      return new ValidationError(json.message, json.problems ?? []);
    case ErrorCode.notFound:
      return new NotFoundError(json.message, { details: json.details });
    case ErrorCode.conflict:
      return new ConflictError(json.message, { details: json.details });
    case ErrorCode.unauthorized:
      return new UnauthorizedError(json.message);
    case ErrorCode.locked:
      return new LockedError(json.message, { details: json.details });
    default:
      return new BerthError(json.code, json.message, { details: json.details });
  }
}
