/**
 * The import report agrees with berth.yaml: every key it calls mapped (or mapped with a change) lands
 * where it says in the berth.yaml it wrote, and every key it calls not mapped is one berth.yaml
 * cannot express — its reason never says Berth lacks a field the schema has.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { specJSONSchema } from '../spec/jsonschema.js';
import { importCompose } from './importCompose.js';

const TESTDATA = path.join(import.meta.dirname, 'testdata');

async function fixtures(): Promise<string[]> {
  const out: string[] = [];
  for (const dir of await readdir(TESTDATA)) {
    if (dir === 'invalid') continue;
    for (const f of await readdir(path.join(TESTDATA, dir)))
      if (/^(docker-)?compose\.ya?ml$/.test(f)) out.push(path.join(dir, f));
  }
  return out.sort();
}

/** Whether the dotted berth.yaml path exists in `data` (`*` matches any key; keys may hold dots). */
function lands(data: unknown, dotted: string): boolean {
  const parts = dotted.split('.');
  if (parts.length === 0 || dotted === '') return true;
  if (data === null || typeof data !== 'object') return false;
  for (let n = 1; n <= parts.length; n++) {
    const head = parts.slice(0, n).join('.');
    const rest = parts.slice(n).join('.');
    const values =
      head === '*' ? Object.values(data) : Object.hasOwn(data, head) ? [(data as Record<string, unknown>)[head]] : [];
    if (values.some((v) => v !== undefined && (rest === '' || lands(v, rest)))) return true;
  }
  return false;
}

interface ObjectSchema {
  properties: Record<string, { additionalProperties?: ObjectSchema }>;
}
/** The fields of berth.yaml's top level and of a service, from the published JSON Schema. */
const schema = specJSONSchema() as unknown as ObjectSchema;
const FIELDS = new Set([
  ...Object.keys(schema.properties),
  ...Object.keys(schema.properties.services?.additionalProperties?.properties ?? {}),
]);

describe('the import report agrees with berth.yaml', () => {
  it('knows the schema fields it checks reasons against', () => {
    expect(FIELDS).toContain('stateful');
    expect(FIELDS).toContain('placement');
    expect(FIELDS).toContain('kind');
  });

  it('every mapped key lands in berth.yaml; no unmapped reason denies a field the schema has', async () => {
    const files = await fixtures();
    expect(files.length).toBeGreaterThan(5);
    const wrong: string[] = [];
    for (const file of files) {
      const r = await importCompose({ file: path.join(TESTDATA, file), environment: { API_TOKEN: 'tok' } });
      const data = parse(r.specText) as unknown;
      for (const e of r.report) {
        if ((e.status === 'mapped' || e.status === 'changed') && e.to !== undefined && !lands(data, e.to))
          wrong.push(`${file} ${e.key}: ${e.status} to ${e.to}, which is not in berth.yaml`);
        if (e.status === 'unmapped') {
          if (/not have yet|has no `|lacks/.test(e.reason))
            for (const [, field] of e.reason.matchAll(/`([a-zA-Z]+)(?::[^`]*)?`/g))
              if (field && FIELDS.has(field))
                wrong.push(`${file} ${e.key}: not mapped, but berth.yaml has \`${field}\`: ${e.reason}`);
          if (/does not have yet/.test(e.reason)) wrong.push(`${file} ${e.key}: "${e.reason}"`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
