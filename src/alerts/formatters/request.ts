/** What every channel formatter produces: one HTTP POST, and how to read its answer. */

/** A JSON POST to send. */
export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Whether the receiver took the notification; `reason` says why not. */
export type Verdict = { ok: true } | { ok: false; reason: string };

/** A JSON POST of `payload` to `url`. */
export function jsonPost(url: string, payload: unknown, headers: Record<string, string> = {}): OutgoingRequest {
  return {
    url,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(payload),
  };
}

/** Any 2xx. */
export function acceptedIf2xx(status: number, body: string): Verdict {
  return status >= 200 && status < 300 ? { ok: true } : { ok: false, reason: `HTTP ${status}: ${body.slice(0, 200)}` };
}

/**
 * A chat robot's answer: a 2xx whose JSON has `field` 0 (DingTalk and WeCom answer 200 with
 * `errcode`, Feishu with `code`, when they refuse a message: a bad signature, a rate limit).
 */
export function acceptedIfCodeZero(fields: readonly string[]) {
  return (status: number, body: string): Verdict => {
    const http = acceptedIf2xx(status, body);
    if (!http.ok) return http;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { ok: false, reason: `HTTP ${status} but the answer is not JSON: ${body.slice(0, 200)}` };
    }
    const record = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    const field = fields.find((f) => Object.hasOwn(record, f));
    if (field !== undefined && record[field] === 0) return { ok: true };
    return { ok: false, reason: `refused: ${body.slice(0, 200)}` };
  };
}
