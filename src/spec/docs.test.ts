import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { objectKeysAt } from './problems.js';
import type { DocPath } from './problems.js';
import { appSchema } from './schema.js';

const doc = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/berth-yaml.md');

// Every object of berth.yaml, by a path that reaches it.
const places: Record<string, DocPath> = {
  'top level': [],
  variable: ['variables', 'X'],
  service: ['services', 'x'],
  port: ['services', 'x', 'ports', 0],
  file: ['services', 'x', 'files', 0],
  health: ['services', 'x', 'health'],
  probe: ['services', 'x', 'health', 'readiness'],
  'http probe': ['services', 'x', 'health', 'readiness', 'http'],
  'tcp probe': ['services', 'x', 'health', 'liveness', 'tcp'],
  'exec probe': ['services', 'x', 'health', 'liveness', 'exec'],
  resources: ['services', 'x', 'resources'],
  'resource amounts': ['services', 'x', 'resources', 'limits'],
  rollout: ['services', 'x', 'rollout'],
  restart: ['services', 'x', 'restart'],
  autoscale: ['services', 'x', 'autoscale'],
  route: ['routes', 0],
  policy: ['services', 'x', 'policy'],
  'rate limit': ['services', 'x', 'policy', 'rateLimit'],
  retries: ['services', 'x', 'policy', 'retries'],
  'circuit breaker': ['services', 'x', 'policy', 'circuitBreaker'],
  fallback: ['services', 'x', 'policy', 'fallback'],
};

describe('docs/berth-yaml.md', () => {
  it('finds the keys of every object of the schema', () => {
    expect(objectKeysAt(appSchema, places.service!)).toContain('terminationGracePeriod');
    expect(objectKeysAt(appSchema, places.probe!)).toEqual([
      'exec',
      'failureThreshold',
      'http',
      'initialDelay',
      'period',
      'successThreshold',
      'tcp',
      'timeout',
    ]);
    expect(objectKeysAt(appSchema, places.route!)).toEqual(['host', 'path', 'policy', 'service', 'stripPrefix']);
  });

  it.each(Object.entries(places))('mentions every %s key', async (_, place) => {
    const text = await readFile(doc, 'utf8');
    const keys = objectKeysAt(appSchema, place);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => !text.includes(`\`${k}\``))).toEqual([]);
  });
});
