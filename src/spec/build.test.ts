/** berth.yaml's `build:`: the two kinds parsed into BuildSpec, and what each refuses, at its line. */
import { describe, expect, it } from 'vitest';
import { parseSpec } from './load.js';
import { problemsOf } from './testdata/problemsOf.js';

describe('build: in berth.yaml', () => {
  it('parses an image build (with defaults) and a command build', () => {
    const { spec } = parseSpec(
      [
        'name: shop',
        'services:',
        '  api:',
        '    build: { context: ./api, args: { V: 1 }, target: runtime }',
        '  web:',
        '    image: shop/web',
        '    build: {}',
        '  worker:',
        '    command: node dist/main.js',
        '    build: { command: npm run build, output: ./dist/ }',
      ].join('\n'),
      '/srv/shop/berth.yaml',
    );
    expect(spec.services.api!.build).toEqual({
      kind: 'image',
      context: './api',
      dockerfile: 'Dockerfile',
      args: { V: '1' },
      target: 'runtime',
    });
    expect(spec.services.web!.build).toEqual({ kind: 'image', context: '.', dockerfile: 'Dockerfile', args: {} });
    expect(spec.services.worker!.build).toEqual({ kind: 'command', command: 'npm run build', output: 'dist' });
  });

  it('names the line of each wrong build', () => {
    expect(
      problemsOf([
        'name: shop',
        'services:',
        '  a:',
        '    command: node main.js',
        '    build: { command: make, output: ../out }',
        '  b:',
        '    command: node main.js',
        '    build: { context: . }',
        '  c:',
        '    image: shop/c',
        '    build: { command: make, output: dist }',
        '  d:',
        '    command: node main.js',
        '    build: { command: make }',
        '  e:',
        '    command: node main.js',
        '    build: { command: make, output: ., dockerfile: D }',
        '  f:',
        '    build: { dockerfile: /etc/Dockerfile }',
      ]),
    ).toEqual([
      '5:37 services.a.build.output: the output folder must stay inside its folder (no `..` going out of it)',
      '8:5 services.b.build: an image build makes the image of a container service: this service runs `command` as a process (remove `command`, say `runAs: container`, or build with `build.command` and `build.output`)',
      '11:23 services.c.build.command: a command build (`build.command`) makes the code of a process: the service needs `command` to run it',
      '14:23 services.d.build.command: a command build needs `output`: the folder the service runs from',
      '17:37 services.e.build.output: the output folder must be a folder inside it, not the folder itself',
      '17:52 services.e.build.dockerfile: `dockerfile` is for an image build: a command build has `command` and `output`',
      '19:26 services.f.build.dockerfile: the Dockerfile must be a relative path',
    ]);
  });
});
