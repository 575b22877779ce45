/**
 * A file of alert rules, as `berth alerts rules apply -f FILE` reads it:
 *
 *   rules:
 *     errors: { metric: error-rate, threshold: 0.05, for: 2m, notify: [...] }
 *
 * Every rule is checked before any is sent, and every problem is named with its file, line and
 * field (`rules.errors.notify.0.url`).
 */
import { LineCounter, parseDocument } from 'yaml';
import { ValidationError, type Problem } from '../errors.js';
import { DNS_LABEL } from '../model/names.js';
import { yamlLocator } from '../yamlPositions.js';
import { AlertRuleInput } from './rule.js';

/** The rules of a file by name, each the body of a PUT; a ValidationError listing every problem. */
export function parseRuleFile(text: string, file: string): Map<string, unknown> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      return { file, ...(at ? { line: at.line, column: at.col } : {}), path: '', message: e.message };
    });
    throw new ValidationError(`${file} is not valid YAML`, problems);
  }
  const locate = yamlLocator(doc, lines);
  const problem = (path: (string | number)[], message: string): Problem => ({
    file,
    ...locate(path),
    path: path.join('.'),
    message,
  });
  const data: unknown = doc.toJS();
  const rules = isObject(data) ? data.rules : undefined;
  if (!isObject(rules))
    throw new ValidationError(`${file} has no rules`, [problem(['rules'], 'expected a map of rule names to rules')]);
  const problems: Problem[] = [];
  const out = new Map<string, unknown>();
  for (const [name, body] of Object.entries(rules)) {
    if (!DNS_LABEL.test(name))
      problems.push(problem(['rules', name], 'a rule name is lowercase letters, digits and -'));
    const parsed = AlertRuleInput.safeParse(body);
    if (!parsed.success)
      for (const issue of parsed.error.issues)
        problems.push(
          problem(['rules', name, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))], issue.message),
        );
    out.set(name, body);
  }
  if (problems.length > 0) throw new ValidationError(`${file} has invalid alert rules`, problems);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
