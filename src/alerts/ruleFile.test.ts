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

  it('names every problem of one rule, the checks across fields too, whatever else is wrong with it', () => {
    const text = [
      'rules:',
      '  events:',
      '    metric: job-failed',
      '    threshold: 3',
      '    severity: loud',
      '    labels: { app: x, team: t }',
      '    notify:',
      '      - { type: webhook, url: nope }',
      '  latency:',
      '    metric: p99',
      '    for: soon',
      '    typo: 1',
      '    labels: { service: s }',
      '  unknown:',
      '    metric: cpu-temperature',
      '    threshold: 2',
      '    labels: { env: e }',
    ].join('\n');
    let err: unknown;
    try {
      parseRuleFile(text, 'alerts.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const problems = (err as ValidationError).problems.map((p) => `${p.file}:${p.line} ${p.path}: ${p.message}`);
    expect(problems.sort()).toEqual(
      [
        'alerts.yaml:4 rules.events.threshold: job-failed is an event and takes no threshold',
        'alerts.yaml:5 rules.events.severity: Invalid option: expected one of "critical"|"warning"|"info"',
        'alerts.yaml:6 rules.events.labels.app: app is set by Berth',
        'alerts.yaml:8 rules.events.notify.0.url: webhook url is not a URL (expected e.g. https://host/path): "nope"',
        'alerts.yaml:9 rules.latency: Unrecognized key: "typo"',
        'alerts.yaml:10 rules.latency.threshold: p99 needs a threshold',
        'alerts.yaml:11 rules.latency.for: invalid duration (use e.g. 500ms, 10s, 5m, 1h, 1m30s, or a number of seconds)',
        'alerts.yaml:13 rules.latency.labels.service: service is set by Berth',
        `alerts.yaml:15 rules.unknown.metric: unknown metric (one of error-rate, p99, restarts, unavailable-replicas, release-failed, release-rolled-back, circuit-open, job-failed, cronjob-missed)`,
        'alerts.yaml:17 rules.unknown.labels.env: env is set by Berth',
      ].sort(),
    );
  });

  it('refuses a file without a rules map and one that is not YAML', () => {
    expect(() => parseRuleFile('alerts: []\n', 'a.yaml')).toThrow(/has no rules/);
    expect(() => parseRuleFile('rules: [\n', 'a.yaml')).toThrow(/not valid YAML/);
  });
});
