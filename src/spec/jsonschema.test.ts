import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { specJSONSchema, SPEC_SCHEMA_ID } from './jsonschema.js';

type Schema = Record<string, unknown>;

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * A small JSON Schema validator for the keywords zod emits, enough to check what an editor would
 * say about a document. Returns the JSON pointers of the failures.
 */
function validate(schema: Schema, v: unknown, at = ''): string[] {
  const errors: string[] = [];
  const fail = (why: string) => errors.push(`${at || '/'}: ${why}`);
  if (schema.anyOf) {
    const branches = (schema.anyOf as Schema[]).map((s) => validate(s, v, at));
    if (branches.every((b) => b.length > 0)) fail(`no branch of anyOf matches (${branches.flat().join('; ')})`);
  }
  if (schema.type !== undefined) {
    const types = ([] as string[]).concat(schema.type as string | string[]);
    const ok = types.some((t) => (t === 'integer' ? Number.isInteger(v) : typeOf(v) === t));
    if (!ok) return [`${at || '/'}: expected ${types.join('|')}, got ${typeOf(v)}`];
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(v)) fail(`not one of ${JSON.stringify(schema.enum)}`);
  if (typeof v === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern as string, 'u').test(v))
      fail(`does not match ${String(schema.pattern)}`);
    if (typeof schema.minLength === 'number' && v.length < schema.minLength) fail('too short');
    if (typeof schema.maxLength === 'number' && v.length > schema.maxLength) fail('too long');
  }
  if (typeof v === 'number') {
    if (typeof schema.minimum === 'number' && v < schema.minimum) fail('below minimum');
    if (typeof schema.exclusiveMinimum === 'number' && v <= schema.exclusiveMinimum) fail('not above exclusiveMinimum');
    if (typeof schema.maximum === 'number' && v > schema.maximum) fail('above maximum');
  }
  if (Array.isArray(v)) {
    if (typeof schema.minItems === 'number' && v.length < schema.minItems) fail('too few items');
    if (schema.items) v.forEach((item, i) => errors.push(...validate(schema.items as Schema, item, `${at}/${i}`)));
  }
  if (typeOf(v) === 'object') {
    const obj = v as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!Object.hasOwn(obj, r)) fail(`missing ${r}`);
    for (const [k, x] of Object.entries(obj)) {
      if (schema.propertyNames) errors.push(...validate(schema.propertyNames as Schema, k, `${at}/${k}(name)`));
      if (props[k]) errors.push(...validate(props[k], x, `${at}/${k}`));
      else if (schema.additionalProperties === false) fail(`unknown key ${k}`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validate(schema.additionalProperties as Schema, x, `${at}/${k}`));
    }
  }
  return errors;
}

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');

describe('specJSONSchema', () => {
  const schema = specJSONSchema();

  it('is a draft 2020-12 schema with an id and a title', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(SPEC_SCHEMA_ID);
    expect(schema.title).toBe('berth.yaml');
    expect(schema.required).toEqual(['name', 'services']);
    expect(schema.additionalProperties).toBe(false);
  });

  it('describes services as a map of strict objects with descriptions', () => {
    const services = (schema.properties as Record<string, Schema>).services!;
    expect(services.type).toBe('object');
    const service = services.additionalProperties as Schema;
    expect(service.additionalProperties).toBe(false);
    const props = service.properties as Record<string, Schema>;
    expect(Object.keys(props)).toContain('terminationGracePeriod');
    for (const [key, prop] of Object.entries(props)) expect(prop.description, key).toEqual(expect.any(String));
  });

  it('accepts the valid example, shorthands, durations and quantities included', async () => {
    const doc = parse(await readFile(path.join(testdata, 'shop', 'berth.yaml'), 'utf8')) as unknown;
    expect(validate(schema, doc)).toEqual([]);
    const variants = {
      name: 'a',
      services: {
        web: {
          command: ['a', 'b'],
          image: 'x',
          ports: [80, { port: 81, name: 'admin' }],
          terminationGracePeriod: 30,
          health: { readiness: { exec: { command: 'true' }, period: '1m30s', timeout: 0.5 } },
          resources: { requests: { cpu: 0.25, memory: 1024 }, limits: { cpu: '500m', memory: '1.5Gi' } },
          rollout: { maxSurge: '50%', maxUnavailable: 1 },
        },
      },
    };
    expect(validate(schema, variants)).toEqual([]);
  });

  it('flags what the loader refuses: unknown keys, bad units, wrong types', () => {
    const bad = {
      name: 'Bad Name',
      services: {
        web: { replcas: 2, terminationGracePeriod: '10x', resources: { limits: { memory: 'lots' } }, replicas: 'two' },
      },
    };
    const errors = validate(schema, bad);
    expect(errors.some((e) => e.startsWith('/name: does not match'))).toBe(true);
    expect(errors).toContain('/services/web: unknown key replcas');
    expect(errors.some((e) => e.startsWith('/services/web/terminationGracePeriod: no branch of anyOf matches'))).toBe(
      true,
    );
    expect(errors.some((e) => e.startsWith('/services/web/resources/limits/memory: no branch of anyOf matches'))).toBe(
      true,
    );
    expect(errors).toContain('/services/web/replicas: expected integer, got string');
    expect(validate(schema, { services: {} })).toContain('/: missing name');
  });
});
