/**
 * A Kubernetes environment's image builder (`berth env set ENV --builder-image IMAGE`, docs/builds.md
 * "On Kubernetes"): the Kaniko executor image its in-cluster builds run, e.g. a mirror's copy for a
 * cluster without access to gcr.io. Pinned (a tag other than `latest`, or a digest), so an unchanged
 * build builds the same way.
 */
import { z } from 'zod';

const IMAGE =
  /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;

/** A tag other than `latest`, or a digest. */
function pinned(v: string): boolean {
  if (v.includes('@sha256:')) return true;
  const tag = /:([A-Za-z0-9_][A-Za-z0-9_.-]*)$/.exec(v.slice(v.lastIndexOf('/')))?.[1];
  return tag !== undefined && tag !== 'latest';
}

export const builderImageSetting = z
  .string()
  .max(255)
  .regex(IMAGE, 'must be an image reference: `HOST[:PORT]/PATH:TAG` or `HOST/PATH@sha256:…`, lowercase')
  .refine((v) => !IMAGE.test(v) || pinned(v), {
    message: 'must pin a version: `:TAG` (not `latest`) or `@sha256:…`, so an unchanged build builds the same way',
  })
  .describe(
    'The Kaniko executor image of in-cluster builds (a mirror of gcr.io/kaniko-project/executor), pinned by tag or digest.',
  );
