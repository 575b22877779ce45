/**
 * The tag an image build gets: `<registry>/<app>/<service>:<commit>`, where registry is the
 * environment's (`berth env set ENV --registry HOST[/PREFIX]`), else `localhost` (the image stays on
 * the machine). berth.yaml's `image` of the service, when given, names the repository instead of
 * `<app>/<service>` (its tag is replaced by the commit); one with a registry host of its own keeps it.
 */
import { registryHostOf } from '../release/renderContainers.js';

export interface ImageTarget {
  /** The reference to tag and run. */
  image: string;
  /** Whether to push it: the environment has a registry. */
  push: boolean;
}

/** The repository of a reference: without its tag and digest. */
function repositoryOf(image: string): string {
  const noDigest = image.split('@')[0]!;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
}

function hasRegistryHost(repo: string): boolean {
  const slash = repo.indexOf('/');
  if (slash < 0) return false;
  const first = repo.slice(0, slash);
  return first === 'localhost' || first.includes('.') || first.includes(':');
}

export function imageTarget(opts: {
  registry: string | undefined;
  app: string;
  service: string;
  specImage: string | undefined;
  commit: string;
}): ImageTarget {
  const prefix = opts.registry?.replace(/\/+$/, '') ?? 'localhost';
  const repo =
    opts.specImage === undefined
      ? `${prefix}/${opts.app}/${opts.service}`
      : hasRegistryHost(repositoryOf(opts.specImage))
        ? repositoryOf(opts.specImage)
        : `${prefix}/${repositoryOf(opts.specImage)}`;
  const push = opts.registry !== undefined && registryHostOf(repo) !== 'localhost';
  return { image: `${repo.toLowerCase()}:${opts.commit}`, push };
}
