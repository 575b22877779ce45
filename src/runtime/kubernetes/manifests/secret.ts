/** A service's secret-derived environment values and files → Secret `<service>-secret`. */
import type { KubernetesObject } from './contract.js';
import { objectMeta } from './labels.js';
import type { ServiceContext } from './podTemplate.js';
import { MASK } from '../../../model/mask.js';

/**
 * The Secret of `ctx.state`: base64 `data` with the real values when applying, `stringData` of
 * `******` when the objects are shown to people. None when the service uses no secret.
 */
export function secret(ctx: ServiceContext): KubernetesObject | undefined {
  const { input, state, shape, config } = ctx;
  const keys = Object.keys(config.secretData).sort();
  if (keys.length === 0) return undefined;
  const masked = input.options.secrets === 'masked';
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: objectMeta(input, config.secretName, state.service, shape.kind, ctx.track ? { track: ctx.track } : {}),
    type: 'Opaque',
    ...(masked
      ? { stringData: Object.fromEntries(keys.map((k) => [k, MASK])) }
      : {
          data: Object.fromEntries(keys.map((k) => [k, Buffer.from(config.secretData[k]!, 'utf8').toString('base64')])),
        }),
  };
}
