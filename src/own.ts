/**
 * Lookups of user-supplied names (services, config keys, variables, files) in plain objects. A name
 * such as `__proto__`, `constructor` or `toString` is valid in several of these, and `obj[name]` or
 * `name in obj` would find Object.prototype's member instead of "not there" (or, assigned, replace
 * an object's prototype). These helpers only ever see own properties. eslint refuses `name in obj`
 * (see eslint.config.js); Maps need none of this.
 */

/** `obj[key]` when `key` is an own property of `obj`; undefined otherwise (inherited members included). */
export function ownGet<T>(obj: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Whether `key` is an own property of `obj`. */
export function hasOwnKey(obj: object | undefined, key: string): boolean {
  return obj !== undefined && Object.hasOwn(obj, key);
}

/**
 * Sets `obj[key] = value` as an own, enumerable data property, even for `__proto__` (which plain
 * assignment would take as "replace the prototype").
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
