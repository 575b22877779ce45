/** A service's plain environment values and config files → ConfigMap `<service>-config`. */
import type { KubernetesObject } from './contract.js';
import { objectMeta } from './labels.js';
import type { ServiceContext } from './podTemplate.js';

/** The ConfigMap of `ctx.state`; none when every value is a secret or there are none. */
export function configMap(ctx: ServiceContext): KubernetesObject | undefined {
  const { input, state, shape, config } = ctx;
  if (Object.keys(config.configData).length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(input, config.configMapName, state.service, shape.kind, ctx.track ? { track: ctx.track } : {}),
    data: config.configData,
  };
}
