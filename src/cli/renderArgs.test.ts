import { describe, expect, it } from 'vitest';
import { fastRenderArgs } from './renderArgs.js';

describe('fastRenderArgs', () => {
  it('reads an offline render of render’s own options as the CLI does, its defaults included', () => {
    expect(fastRenderArgs(['render', '--offline'], {})).toEqual({
      dir: '.',
      output: 'table',
      offline: true,
      options: { env: 'local', kubernetesVersion: '1.30' },
    });
    expect(
      fastRenderArgs(
        ['render', 'app', '-o', 'json', '--offline', '-e', 'prod', '-n', 'ns', '--kubernetes-version', '1.25'],
        { BERTH_ENV: 'staging' },
      ),
    ).toEqual({
      dir: 'app',
      output: 'json',
      offline: true,
      options: { env: 'prod', namespace: 'ns', kubernetesVersion: '1.25' },
    });
    expect(fastRenderArgs(['render', '--ingress-class', 'nginx', '--offline', '--env', 'a', '--env', 'b'], {})).toEqual(
      {
        dir: '.',
        output: 'table',
        offline: true,
        options: { env: 'b', ingressClass: 'nginx', kubernetesVersion: '1.30' },
      },
    );
    expect(fastRenderArgs(['render', '--offline'], { BERTH_ENV: 'staging' })?.options.env).toBe('staging');
    // Without --offline: the control plane renders.
    expect(fastRenderArgs(['render', 'app', '-o', 'yaml'], {})).toMatchObject({ dir: 'app', offline: false });
  });

  it('leaves every other command line to the CLI', () => {
    for (const args of [
      ['status', '--offline'],
      ['-o', 'json', 'render', '--offline'], // a global option first
      ['render', '--offline', '--home', '/x'],
      ['render', '--offline', '--output=json'],
      ['render', '--offline', '-o', 'jsonl'],
      ['render', '--offline', '-o', 'xml'], // the CLI names the choices
      ['render', '--offline', '-e'], // a missing value
      ['render', '--offline', '-n', '--help'],
      ['render', '--offline', '--help'],
      ['render', 'a', 'b', '--offline'], // too many arguments
      ['render', '--offline', '--config-version', '2'],
      ['render', '--commit', 'abc'],
    ])
      expect(fastRenderArgs(args, {}), args.join(' ')).toBeUndefined();
  });
});
