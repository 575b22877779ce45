/**
 * Where variable values come from (config set, then the environment's defaults, then berth.yaml's
 * defaults) and which used variables end up without one, all reported at once.
 */
import type { Problem } from '../errors.js';
import { interpolate } from './interpolate.js';
import { ownGet, setOwn } from '../own.js';
import type { VariableValue } from './interpolate.js';
import type { AppSpec } from './schema.js';
import { discoveryOwners, isDiscoveryFor, templateFields } from './templates.js';

/** Where a variable's value came from. */
export const VariableSource = { config: 'config', environment: 'environment', default: 'default' } as const;
export type VariableSource = (typeof VariableSource)[keyof typeof VariableSource];

/** A variable's value, whether it is secret, and its source. */
export interface ResolvedVariable extends VariableValue {
  source: VariableSource;
}

/** Values by variable name. */
export type VariableValues = Record<string, ResolvedVariable>;

/** The inputs of variable resolution besides the spec. */
export interface VariableSources {
  /** The config set's values (a config value may itself be marked secret). */
  config: Record<string, VariableValue>;
  /** The environment's default values. */
  environment: Record<string, string>;
}

/**
 * Resolves every variable that has a value: config wins, then the environment, then the spec's
 * defaults. A variable declared `secret: true` is secret whatever its source.
 */
export function resolveVariables(spec: Pick<AppSpec, 'variables'>, sources: VariableSources): VariableValues {
  const out: VariableValues = {};
  const declaredSecret = (name: string) => ownGet(spec.variables, name)?.secret === true;
  for (const [name, v] of Object.entries(spec.variables)) {
    if (v.default !== undefined) setOwn(out, name, { value: v.default, secret: v.secret, source: 'default' });
  }
  for (const [name, value] of Object.entries(sources.environment))
    setOwn(out, name, { value, secret: declaredSecret(name), source: 'environment' });
  for (const [name, v] of Object.entries(sources.config))
    setOwn(out, name, { value: v.value, secret: v.secret || declaredSecret(name), source: 'config' });
  return out;
}

/** Where unresolved-variable problems point. */
export interface ProblemLocation {
  /** berth.yaml path shown in problems. */
  file?: string;
  /** `LoadedSpec.positionOf`, to give each problem a line and column. */
  positionOf?: (path: (string | number)[]) => { line: number; column: number } | undefined;
}

/**
 * Every used variable that has no value and no inline fallback (`${A}` unset, or `${A:?msg}` unset
 * or empty), one Problem per field and variable, positioned where it is used. The discovery
 * variables of the other services (`ORDERS_URL`, ...) count as set: the renderer provides them.
 */
export function unresolvedVariables(spec: AppSpec, values: VariableValues, where: ProblemLocation = {}): Problem[] {
  const problems: Problem[] = [];
  const owners = discoveryOwners(spec.services);
  for (const field of templateFields(spec)) {
    const lookup = (name: string): VariableValue | undefined =>
      ownGet(values, name) ??
      (isDiscoveryFor(owners, name, field.service) ? { value: name, secret: false } : undefined);
    const seen = new Set<string>();
    for (const m of interpolate(field.template, lookup).missing) {
      if (seen.has(m.name)) continue;
      seen.add(m.name);
      const pos = where.positionOf?.([...field.path]);
      problems.push({
        ...(where.file === undefined ? {} : { file: where.file }),
        ...(pos ? { line: pos.line, column: pos.column } : {}),
        path: field.path.join('.'),
        message: m.message,
      });
    }
  }
  return problems;
}
