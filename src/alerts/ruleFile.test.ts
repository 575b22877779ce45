/** A rules file: read by name, and every problem named with its file, line and field. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseRuleFile } from './ruleFile.js';

describe('a file of alert rules', () => {
  it('gives each rule by name, as the body of its PUT', () => {
    const rules = parseRuleFile(
      'rules:\n  errors:\n    metric: error-rate\n    threshold: 0.05\n    for: 2m\n  rollbacks:\n    metric: release-rolled-back\n',
      'alerts.yaml',
    );
    expect([...rules.keys()]).toEqual(['errors', 'rollbacks']);
    expect(rules.get('errors')).toEqual({ metric: 'error-rate', threshold: 0.05, for: '2m' });
  });

  it('names the file, line and field of every problem at once', () => {
    const text = [
      'rules:',
      '  errors:',
      '    metric: cpu-temperature',
      '  hooks:',
      '    metric: job-failed',
      '    notify:',
      '      - type: slack',
      '        url: hooks.slack.com/x',
      '  Bad_Name:',
      '    metric: job-failed',
    ].join('\n');
    let err: unknown;
    try {
      parseRuleFile(text, 'alerts.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const problems = (err as ValidationError).problems.map((p) => `${p.file}:${p.line} ${p.path}`);
    expect(problems).toEqual([
      'alerts.yaml:3 rules.errors.metric',
      'alerts.yaml:8 rules.hooks.notify.0.url',
      'alerts.yaml:9 rules.Bad_Name',
    ]);
  });

  it('refuses a file without a rules map and one that is not YAML', () => {
    expect(() => parseRuleFile('alerts: []\n', 'a.yaml')).toThrow(/has no rules/);
    expect(() => parseRuleFile('rules: [\n', 'a.yaml')).toThrow(/not valid YAML/);
  });
});
