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

/**
 * What the code collection keeps (`startCodeCollector`'s `releases`): the snapshots stored releases run
 * and the ones successful builds made — a build's output is kept until no build refers to it, so the
 * next deploy still finds it.
 */
export function keptCode(
  releases: { codeDigests(): Promise<Set<string>> },
  builds: Pick<BuildStore, 'codeDigests'>,
): { codeDigests(): Promise<Set<string>> } {
  return {
    codeDigests: async () => new Set([...(await releases.codeDigests()), ...(await builds.codeDigests())]),
  };
}
