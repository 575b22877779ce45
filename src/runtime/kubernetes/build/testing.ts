/** Test support of the cluster builds: a build request as a pipeline's build makes it. */
import type { ImageBuildRequest } from '../../../model/build.js';

export const COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** A request to build `api` of `shop` from a git checkout, pushed with credentials; fields overridable. */
export function buildRequest(o: Partial<ImageBuildRequest> = {}): ImageBuildRequest {
  return {
    app: 'shop',
    env: 'test',
    service: 'api',
    contextDir: '/srv/checkouts/shop',
    git: { url: 'https://git.example.com/acme/shop.git', commit: COMMIT, subPath: 'services/api' },
    dockerfile: 'Dockerfile',
    args: { VERSION: '1.2', BASE: 'debian:12' },
    target: 'runtime',
    image: `registry.example.com/shop/api:${COMMIT}`,
    push: true,
    auth: { server: 'registry.example.com', username: 'ci', password: 's3cret' },
    ...o,
  };
}
