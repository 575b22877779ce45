/**
 * The variables of an app in one environment, as a user asks about them: what berth.yaml declares,
 * which value each one gets and from where, which services use it, which used ones have no value,
 * and which config keys no field uses.
 */
import { interpolate } from './interpolate.js';
import { ownGet } from '../own.js';
import type { VariableValue } from './interpolate.js';
import type { AppSpec } from './schema.js';
import { discoveryOwners, isDiscoveryFor, templateFields } from './templates.js';
import type { VariableSource, VariableValues } from './variables.js';
import { MASK } from '../model/mask.js';

/** One variable of the report. */
export interface VariableInfo {
  name: string;
  /** Declared under `variables` in berth.yaml. */
  declared: boolean;
  description?: string;
  /** berth.yaml's default (masked when the variable is secret). */
  default?: string;
  secret: boolean;
  /** Where the value comes from; absent when it has none. */
  source?: VariableSource;
  /** The value in force, masked when secret; absent when it has none. */
  value?: string;
  /** Services whose fields use it, sorted. */
  usedBy: string[];
  /** Used by a field that has no inline fallback for it, and it has no value: a deploy would fail. */
  missing: boolean;
}

/** Every variable berth.yaml declares or uses, and every config value, sorted by name. */
export function variableReport(spec: AppSpec, values: VariableValues): VariableInfo[] {
  const usedBy = new Map<string, Set<string>>();
  const missing = new Set<string>();
  const owners = discoveryOwners(spec.services);
  for (const field of templateFields(spec)) {
    const lookup = (name: string): VariableValue | undefined => {
      if (isDiscoveryFor(owners, name, field.service)) return { value: name, secret: false };
      let users = usedBy.get(name);
      if (users === undefined) usedBy.set(name, (users = new Set()));
      users.add(field.service);
      return ownGet(values, name);
    };
    for (const m of interpolate(field.template, lookup).missing) missing.add(m.name);
  }

  // The environment's defaults serve every app: only the ones this app uses belong in its report.
  const fromConfig = Object.keys(values).filter((n) => values[n]!.source === 'config');
  const names = new Set([...Object.keys(spec.variables), ...fromConfig, ...usedBy.keys()]);
  return [...names].sort().map((name): VariableInfo => {
    const declared = ownGet(spec.variables, name);
    const v = ownGet(values, name);
    const secret = declared?.secret === true || v?.secret === true;
    return {
      name,
      declared: declared !== undefined,
      ...(declared?.description === undefined ? {} : { description: declared.description }),
      ...(declared?.default === undefined ? {} : { default: secret ? MASK : declared.default }),
      secret,
      ...(v === undefined ? {} : { source: v.source, value: secret ? MASK : v.value }),
      usedBy: [...(usedBy.get(name) ?? [])].sort(),
      missing: missing.has(name),
    };
  });
}
