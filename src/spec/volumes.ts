/**
 * berth.yaml's named volumes: the app's `volumes:` map (compose's top-level `volumes:`, a PVC on
 * clusters) and a service's mounts of them (`volumes: [{ volume: pgdata, path: /var/lib/postgresql/data }]`
 * or compose's short form `pgdata:/var/lib/postgresql/data`).
 */
import { z } from 'zod';
import type { VolumeMount } from '../model/volumes.js';
import { memoryBytes } from './units.js';
import { VOLUME_NAME } from './names.js';

export { VOLUME_NAME } from './names.js';
const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;

const volumeName = z
  .string()
  .max(40, 'volume names have at most 40 characters')
  .regex(VOLUME_NAME, 'volume names are lowercase letters, digits and `-`, starting and ending with a letter or digit');

const volumeLong = z.strictObject({
  size: memoryBytes('size')
    .optional()
    .describe(
      'Requested size (`10Gi`): the PersistentVolumeClaim request on clusters; shown beside the use on one machine.',
    ),
});

/** The app's named volumes: `pgdata:` (no settings) or `pgdata: { size: 10Gi }`. */
export const volumesSchema = z
  .record(
    volumeName,
    z
      .union([z.null(), volumeLong])
      .transform((v): { sizeBytes?: number } => (v?.size === undefined ? {} : { sizeBytes: v.size })),
  )
  .default({})
  .describe(
    'Named volumes of the app: data kept across deploys, restarts, rollbacks and `berth down` (a directory under BERTH_HOME on one machine, a PersistentVolumeClaim on clusters).',
  );

const mountLong = z.strictObject({
  volume: volumeName.describe('The volume (a key of the top-level `volumes`).'),
  path: z
    .string()
    .regex(/^\//, 'must be an absolute path such as `/var/lib/postgresql/data`')
    .describe('Where the container sees the volume.'),
  env: z
    .string()
    .regex(ENV_VAR, 'must be an environment variable name')
    .optional()
    .describe("An environment variable set to the volume's directory on one machine, e.g. `PGDATA`."),
  readOnly: z.boolean().default(false).describe('Mounted read-only. Default false.'),
});

/** `pgdata:/var/lib/postgresql/data` or `pgdata:/var/lib/postgresql/data:ro`, as in compose. */
const mountShort = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?:\/[^:]*(:(ro|rw))?$/,
    'must be `VOLUME:/path` (optionally `:ro`), or `{ volume, path }`',
  )
  .transform((s) => {
    const [volume, path, mode] = s.split(':') as [string, string, string | undefined];
    return { volume, path, readOnly: mode === 'ro' };
  });

/** A service's volume mounts; the `sizeBytes` of each is filled from the app's `volumes` at render. */
export const volumeMountsSchema = z
  .array(z.union([mountShort, mountLong]))
  .superRefine((list, ctx) => {
    list.forEach((m, i) => {
      const first = list.findIndex((o) => o.volume === m.volume);
      if (first < i)
        ctx.addIssue({
          code: 'custom',
          message: `volume \`${m.volume}\` is already mounted by volumes.${first}`,
          path: [i],
        });
      const samePath = list.findIndex((o) => o.path === m.path);
      if (samePath < i)
        ctx.addIssue({
          code: 'custom',
          message: `path ${m.path} is already a mount (volumes.${samePath})`,
          path: [i, 'path'],
        });
    });
  })
  .default([])
  .transform((list) => list as Omit<VolumeMount, 'sizeBytes'>[])
  .describe('Named volumes this service mounts: `VOLUME:/path` or `{ volume, path, env, readOnly }`.');
