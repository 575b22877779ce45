/**
 * Discovery of services whose address a plan cannot know yet: a plan reads the runtime's addresses
 * without allocating any (`Runtime.addresses` with `allocate: false`), so a service the deploy gives
 * a new address shows the others `(allocated at deploy)` in each of its discovery variables.
 */
import type { AppSpec } from '../spec/schema.js';
import { discoveryNames, discoveryPorts } from '../spec/templates.js';
import { ownGet, setOwn } from '../own.js';

/** The value a plan shows for a discovery variable of an address the deploy allocates. */
export const UNALLOCATED = '(allocated at deploy)';

/** `discovery` with every variable of the `unallocated` services of `spec` set to UNALLOCATED. */
export function withUnallocated(
  discovery: Record<string, string>,
  spec: Pick<AppSpec, 'services'>,
  unallocated: readonly string[] | undefined,
): Record<string, string> {
  if (!unallocated || unallocated.length === 0) return discovery;
  const out = { ...discovery };
  for (const service of unallocated) {
    const svc = ownGet(spec.services, service);
    if (svc) for (const name of discoveryNames(service, discoveryPorts(svc))) setOwn(out, name, UNALLOCATED);
  }
  return out;
}
