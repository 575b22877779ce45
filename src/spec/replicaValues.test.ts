import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseSpec } from './load.js';
import { parseReplicaTemplate, resolveReplicaTemplate, usesReplicaValues } from './replicaValues.js';

function problemsOf(text: string): string[] {
  try {
    parseSpec(text, 'berth.yaml');
  } catch (err) {
    if (err instanceof ValidationError)
      return err.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('per-replica values in files', () => {
  it('resolves each name, the escape, and leaves other {{ }} text alone', () => {
    const values = { port: '4001', index: '2', configDir: '/run/x/config' };
    const out = resolveReplicaTemplate(
      'a {{ replica.port }} b {{replica.index}} c {{  replica.configDir  }} d {{ replica.port.admin }} ' +
        '{{{{ replica.port }} {{ .Values.x }} {{ end }} {{',
      (ref) => (ref.kind === 'port' ? (ref.name ? `named:${ref.name}` : values.port) : values[ref.kind]),
    );
    expect(out).toBe('a 4001 b 2 c /run/x/config d named:admin {{ replica.port }} {{ .Values.x }} {{ end }} {{');
  });

  it('tells which contents use the syntax, so other files are written as they are', () => {
    expect(usesReplicaValues('listen {{ replica.port }};')).toBe(true);
    expect(usesReplicaValues('{{{{ not a value }}')).toBe(true);
    expect(usesReplicaValues('{{ .Values.x }} and $PORT')).toBe(false);
    expect(usesReplicaValues('no braces')).toBe(false);
  });

  it('reports unknown names and unclosed references with their offset', () => {
    const { problems } = parseReplicaTemplate('x {{ replica.prot }}\n{{ replca.port }} {{ replica.port');
    expect(problems.map((p) => [p.offset, p.message.split(';')[0]])).toEqual([
      [2, 'unknown per-replica value `{{ replica.prot }}` (did you mean `{{ replica.port }}`?)'],
      [21, 'unknown per-replica value `{{ replca.port }}` (did you mean `{{ replica.port }}`?)'],
      [39, 'a per-replica value is written `{{ replica.NAME }}` (with the closing `}}`)'],
    ]);
  });

  it('refuses an unknown per-replica value when berth.yaml is loaded, with file:line:col and field', () => {
    const text = [
      'name: a',
      'services:',
      '  web:',
      '    command: nginx',
      '    ports: [8080, { name: admin, port: 9000 }]',
      '    files:',
      '      - path: nginx.conf',
      '        content: |',
      '          listen {{ replica.port }};',
      '          listen {{ replica.port.admin }};',
      '          pid {{ replica.pidfile }};',
      '      - { path: b.conf, content: "{{ replica.port.metrics }}" }',
      '  worker:',
      '    command: work',
      '    files: [{ path: w.conf, content: "{{ replica.port }} {{ replica.index }}" }]',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      'berth.yaml:8:18 services.web.files.0.content: unknown per-replica value `{{ replica.pidfile }}`; known: `{{ replica.port }}`, `{{ replica.port.<name> }}`, `{{ replica.index }}`, `{{ replica.configDir }}`; write `{{{{` for a literal `{{` (line 3, column 5 of the content)',
      'berth.yaml:12:34 services.web.files.1.content: `{{ replica.port.metrics }}`: the service has no port named `metrics` (its ports: http, admin) (line 1, column 1 of the content)',
      'berth.yaml:15:38 services.worker.files.0.content: `{{ replica.port }}`: the service declares no ports (line 1, column 1 of the content)',
    ]);
  });

  it('accepts the known names and the escape', () => {
    const text = [
      'name: a',
      'services:',
      '  web:',
      '    command: nginx',
      '    ports: [8080]',
      '    files:',
      '      - path: nginx.conf',
      '        content: "{{ replica.port }} {{ replica.port.http }} {{ replica.index }} {{ replica.configDir }} {{{{ x }}"',
    ].join('\n');
    expect(problemsOf(text)).toEqual([]);
  });
});
