import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../errors.js';
import { renderManifests } from './render.js';
import { validateObjects } from './validate.js';
import { fixtureInput } from './testdata/fixture.js';
import { at } from './testdata/at.js';
import type { KubernetesObject } from './contract.js';

const spec = (files: string[], extra: string[] = []) =>
  [
    'name: site',
    'services:',
    '  web:',
    '    image: nginx:1.27',
    '    ports: [8080, { name: admin, port: 9000 }]',
    '    stopSignal: SIGQUIT',
    '    terminationGracePeriod: 30s',
    ...extra,
    '    files:',
    ...files,
  ].join('\n');

const find = (objects: KubernetesObject[], kind: string, name: string) =>
  at(
    objects.find((o) => o.kind === kind && o.metadata.name === name),
    '',
  );

describe('Kubernetes: per-replica files and the stop signal', () => {
  it('resolves replica.port and replica.configDir at render, to the declared port and the mount path', () => {
    const text = spec([
      '      - path: nginx.conf',
      '        content: "listen {{ replica.port }}; admin {{ replica.port.admin }}; pid {{ replica.configDir }}/n.pid; {{{{ x }}"',
    ]);
    const objects = renderManifests(fixtureInput({}, text).manifest);
    expect(find(objects, 'ConfigMap', 'web-config').data['file.nginx.conf']).toBe(
      'listen 8080; admin 9000; pid /etc/berth/config/n.pid; {{ x }}',
    );
  });

  it('refuses replica.index in files with a render error naming the field', () => {
    const text = spec(['      - { path: a.conf, content: "x\\nid {{ replica.index }}" }']);
    let err: unknown;
    try {
      renderManifests(fixtureInput({}, text).manifest);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      expect.objectContaining({
        file: 'berth.yaml',
        path: 'services.web.files.0.content',
        message: expect.stringMatching(
          /^\{\{ replica\.index \}\} \(line 2, column 4\): `\{\{ replica\.index \}\}` differs per pod/,
        ),
      }),
    ]);
  });

  it('delivers stopSignal from the preStop hook after the drain sleep, and waits for the process to exit', () => {
    const text = spec(['      - { path: a.conf, content: "{{ replica.port }}" }']);
    for (const v of ['1.23', '1.30', '1.33']) {
      const objects = renderManifests(fixtureInput({ kubernetesVersion: v }, text).manifest);
      const c = find(objects, 'Deployment', 'web').spec.template.spec.containers[0];
      expect(c.lifecycle).toEqual({
        preStop: {
          exec: {
            command: ['/bin/sh', '-c', 'sleep 5; kill -s QUIT 1; while kill -0 1 2>/dev/null; do sleep 1; done'],
          },
        },
      });
      expect(() => validateObjects(objects, v)).not.toThrow();
    }
    // Without a drain (a job), the hook only sends the signal and waits.
    const job = renderManifests(
      fixtureInput({}, spec(['      - { path: a, content: b }'], ['    kind: job'])).manifest,
    );
    const jobObject = at(
      job.find((o) => o.kind === 'Job'),
      '',
    );
    expect(jobObject.spec.template.spec.containers[0].lifecycle.preStop.exec.command[2]).toBe(
      'kill -s QUIT 1; while kill -0 1 2>/dev/null; do sleep 1; done',
    );
  });
});
