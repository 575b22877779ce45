import { describe, expect, it } from 'vitest';
import semver from 'semver';
import { supportedNode } from '../version.js';
import { assertSupportedNode, isSupportedNode, supportedLines, unsupportedNodeMessage } from './nodeVersion.js';

const range = '^20.19.0 || ^22.13.0 || ^24.0.0 || ^26.0.0';

describe('the Node.js version check', () => {
  it('accepts each line from its first supported release and refuses the rest', () => {
    for (const v of ['20.19.0', 'v20.20.2', '22.13.0', '22.20.1', '24.0.0', '24.11.3', '26.0.0', '26.10.0']) {
      expect(isSupportedNode(v, range), v).toBe(true);
    }
    for (const v of ['18.20.8', '20.18.3', '21.7.3', '22.12.0', '23.11.1', '25.2.0', '27.0.0', '19.0.0', 'x']) {
      expect(isSupportedNode(v, range), v).toBe(false);
    }
  });

  it('agrees with semver on package.json engines.node for every version of Node 16 to 28', () => {
    for (let major = 16; major <= 28; major++) {
      for (let minor = 0; minor <= 25; minor++) {
        for (const patch of [0, 1, 9]) {
          const v = `${major}.${minor}.${patch}`;
          expect(isSupportedNode(v, supportedNode), v).toBe(semver.satisfies(v, supportedNode));
        }
      }
    }
  });

  it('accepts the Node.js running this test (CI runs the suite on each line it claims)', () => {
    expect(() => assertSupportedNode()).not.toThrow();
  });

  it('names the running version and every supported line in its refusal', () => {
    expect(() => assertSupportedNode('21.7.3', range)).toThrow(
      /needs Node\.js 20 \(20\.19\.0 or later\), 22 \(22\.13\.0 or later\), 24 \(24\.0\.0 or later\), 26 \(26\.0\.0 or later\); this is Node\.js v21\.7\.3/,
    );
    expect(unsupportedNodeMessage('v18.20.8', range)).toContain(`engines.node: "${range}"`);
  });

  it('refuses an engines.node it cannot read rather than guessing', () => {
    expect(supportedLines(range)).toEqual([
      [20, 19, 0],
      [22, 13, 0],
      [24, 0, 0],
      [26, 0, 0],
    ]);
    expect(() => supportedLines('>=20')).toThrow(/">=20" is not a caret range/);
    expect(() => isSupportedNode('22.13.0', '^22.13.0 || 24.x')).toThrow(/"24.x"/);
  });
});
