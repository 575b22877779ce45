/** The engine's view of the builds (`EngineDeps.builtArtifacts`): a service's newest successful build's artifact. */
import type { BuildLookup } from '../release/builtArtifacts.js';
import type { BuildStore } from './buildStore.js';

export function buildLookup(store: Pick<BuildStore, 'lastGood'>): BuildLookup {
  return async (app, env, service, commit) => {
    const b = await store.lastGood(app, env, service, commit);
    if (!b) return undefined;
    return {
      buildId: b.buildId,
      commit: b.commit,
      ...(b.image ? { image: b.image } : {}),
      ...(b.imageDigest ? { imageDigest: b.imageDigest } : {}),
      ...(b.codeDigest ? { codeDigest: b.codeDigest } : {}),
    };
  };
}
