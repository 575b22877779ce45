/**
 * Issue 13 on clusters: what berth.yaml says a container runs (entrypoint → command, command → args),
 * rendered for every workload kind and valid against the Kubernetes schemas.
 */
import { describe, expect, it } from 'vitest';
import { renderManifests } from './render.js';
import { fixtureInput } from './testdata/fixture.js';
import { at } from './testdata/at.js';
import type { KubernetesObject } from './contract.js';

const SPEC = `name: tools
services:
  api:
    image: shop/api:1
    entrypoint: [/usr/bin/tini, --]
    command: [node, server.js, --port, "8080"]
    ports: [8080]
  worker:
    image: shop/api:1
    command: bundle exec sidekiq -c 5 && echo done
  migrate:
    image: shop/api:1
    kind: job
    command: [migrate, up]
  report:
    image: shop/report:1
    kind: cronjob
    schedule: "0 3 * * *"
    entrypoint: [/bin/report]
  plain:
    image: nginx:1.27
`;

const containerOf = (objects: KubernetesObject[], kind: string, prefix: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name.startsWith(prefix));
  const pod = kind === 'CronJob' ? at(o, 'spec.jobTemplate.spec.template') : at(o, 'spec.template');
  return at(pod, 'spec.containers.0');
};

describe('container command and arguments', () => {
  const objects = renderManifests(fixtureInput({}, SPEC).manifest);

  it('maps entrypoint to the container command and command to its args', () => {
    const c = containerOf(objects, 'Deployment', 'api');
    expect(c.command).toEqual(['/usr/bin/tini', '--']);
    expect(c.args).toEqual(['node', 'server.js', '--port', '8080']);
  });

  it('runs a shell-string command through /bin/sh -c, as args of the image entrypoint', () => {
    const c = containerOf(objects, 'Deployment', 'worker');
    expect(c.command).toBeUndefined();
    expect(c.args).toEqual(['/bin/sh', '-c', 'bundle exec sidekiq -c 5 && echo done']);
  });

  it('gives a Job and a CronJob their command', () => {
    expect(containerOf(objects, 'Job', 'migrate-').args).toEqual(['migrate', 'up']);
    const report = containerOf(objects, 'CronJob', 'report');
    expect(report.command).toEqual(['/bin/report']);
    expect(report.args).toBeUndefined();
  });

  it("leaves the image's own entrypoint and command when berth.yaml sets neither", () => {
    const c = containerOf(objects, 'Deployment', 'plain');
    expect(c).not.toHaveProperty('command');
    expect(c).not.toHaveProperty('args');
  });

  it('names a Job after its command: another command is another Job', () => {
    const other = renderManifests(fixtureInput({}, SPEC.replace('[migrate, up]', '[migrate, down]')).manifest);
    const name = (objs: KubernetesObject[]) => objs.find((o) => o.kind === 'Job')!.metadata.name;
    expect(name(other)).not.toBe(name(objects));
  });
});
