import { describe, expect, it } from 'vitest';
import { hasOwnKey, ownGet, setOwn } from './own.js';
import { resolveVariables } from './spec/variables.js';

const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

describe('own-key lookups', () => {
  it('never find a member of Object.prototype', () => {
    const services: Record<string, number> = { web: 1 };
    for (const name of PROTO_NAMES) {
      expect(ownGet(services, name), name).toBeUndefined();
      expect(hasOwnKey(services, name), name).toBe(false);
    }
    expect(ownGet(services, 'web')).toBe(1);
    expect(ownGet(undefined, 'web')).toBeUndefined();
  });

  it('set __proto__ as an own property, leaving the prototype alone', () => {
    const env: Record<string, string> = {};
    setOwn(env, '__proto__', 'x');
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
    expect(Object.keys(env)).toEqual(['__proto__']);
    expect(ownGet(env, '__proto__')).toBe('x');
    expect(JSON.parse(JSON.stringify(env))).toEqual(env);
  });

  it('resolve config keys named like prototype members as ordinary variables', () => {
    const config = Object.fromEntries(PROTO_NAMES.map((n) => [n, { value: `v-${n}`, secret: false }]));
    const values = resolveVariables({ variables: {} }, { config, environment: {} });
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
    for (const name of PROTO_NAMES) expect(ownGet(values, name)?.value, name).toBe(`v-${name}`);
    const none = resolveVariables({ variables: {} }, { config: {}, environment: {} });
    for (const name of PROTO_NAMES) expect(ownGet(none, name), name).toBeUndefined();
  });
});
