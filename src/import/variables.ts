/**
 * The variables an import declares and the config set that gives them their values. One name per
 * value: services that share a key with the same value share a variable, and a key with different
 * values in two services gets a per-service name (`WEB_PORT`, `API_PORT`).
 */
import { upperName, variableName } from './names.js';

/** One declared variable and its imported value (undefined: no value was found). */
export interface ImportedVariable {
  name: string;
  value: string | undefined;
  secret: boolean;
  /** Why it is secret, when it is. */
  secretReason?: string;
  description?: string;
  /** Berth services that use it. */
  services: string[];
}

/** Allocates variable names and remembers their values. */
export class Variables {
  private readonly byName = new Map<string, ImportedVariable>();

  /**
   * `reserved`: names that cannot be declared, the discovery variables of the app's services
   * (spec/shadowing.ts): `SEARCH_HOST=search` gets a per-service name, not `SEARCH_HOST`.
   */
  private readonly reserved: (name: string) => boolean;

  constructor(reserved: (name: string) => boolean = () => false) {
    this.reserved = reserved;
  }

  /**
   * The variable for `value` under the first free name among `preferred`, reusing one that has the
   * same value; falls back to numbered names. With `shareSecret`, a secret variable that already
   * holds the same value is reused whatever its name (a password in a URL and the database's own).
   */
  claim(
    preferred: readonly string[],
    value: string | undefined,
    opts: { service?: string; secret?: string; description?: string; shareSecret?: boolean },
  ): ImportedVariable {
    if (opts.shareSecret && value !== undefined) {
      const same = [...this.byName.values()].find((v) => v.secret && v.value === value);
      if (same) return this.use(same, opts);
    }
    const names = preferred.map(variableName).filter((n) => !this.reserved(n));
    for (const name of names) {
      const v = this.byName.get(name);
      if (v && v.value === value) return this.use(v, opts);
      if (!v) return this.create(name, value, opts);
    }
    const base = names[names.length - 1] ?? `${variableName(preferred[preferred.length - 1] ?? 'VALUE')}_VALUE`;
    for (let i = 2; ; i++) {
      const name = `${base}_${i}`;
      if (this.reserved(name)) continue;
      const v = this.byName.get(name);
      if (v && v.value === value) return this.use(v, opts);
      if (!v) return this.create(name, value, opts);
    }
  }

  /** The names to try for environment key `key` of a service: the key, then `<SERVICE>_<KEY>`. */
  static envNames(key: string, service: string): string[] {
    return [key, `${upperName(service)}_${key}`];
  }

  private create(
    name: string,
    value: string | undefined,
    opts: { service?: string; secret?: string; description?: string },
  ): ImportedVariable {
    const v: ImportedVariable = {
      name,
      value,
      secret: opts.secret !== undefined,
      ...(opts.secret === undefined ? {} : { secretReason: opts.secret }),
      ...(opts.description === undefined ? {} : { description: opts.description }),
      services: [],
    };
    this.byName.set(name, v);
    return this.use(v, opts);
  }

  private use(v: ImportedVariable, opts: { service?: string; secret?: string }): ImportedVariable {
    if (opts.service && !v.services.includes(opts.service)) v.services.push(opts.service);
    // A value secret for one service is secret for all: it is the same value.
    if (opts.secret !== undefined && !v.secret) {
      v.secret = true;
      v.secretReason = opts.secret;
    }
    return v;
  }

  /** Every variable, sorted by name. */
  all(): ImportedVariable[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
