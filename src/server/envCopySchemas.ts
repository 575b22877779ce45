/** What the environment copy and config-diff routes answer, for the OpenAPI document (openapi.ts). */
import { z } from 'zod';
import { Environment } from './responseSchemas.js';

export const EnvironmentCopy = z
  .object({
    from: z.string(),
    to: z.string(),
    created: z.boolean().describe('Whether the copy created the target environment'),
    environment: Environment,
    notes: z.array(z.string()).describe("What was not copied of the source's settings, or how the target differs"),
    apps: z.array(
      z
        .object({
          app: z.string(),
          fromVersion: z.number().int().describe('The version of the source copied'),
          previousVersion: z.number().int().describe("The target's version before (0: none)"),
          toVersion: z.number().int().describe("The target's version after"),
          outcome: z.enum(['copied', 'unchanged']),
          values: z.number().int(),
          secrets: z.number().int().describe('Secret values and secret files'),
          files: z.number().int(),
        })
        .loose(),
    ),
  })
  .loose()
  .meta({ id: 'EnvironmentCopy', description: "An environment copy: each app's config version copied" });

export const EnvironmentConfigDiff = z
  .array(
    z
      .object({
        app: z.string(),
        from: z.string(),
        to: z.string(),
        fromVersion: z.number().int(),
        toVersion: z.number().int(),
        entries: z.array(
          z
            .object({
              kind: z.enum(['value', 'file']),
              key: z.string(),
              change: z.enum(['added', 'removed', 'changed']).describe('added: only in `to`; removed: only in `from`'),
              secret: z.boolean().describe('Secret on either side: no value, hash or digest is given'),
              from: z.string().optional(),
              to: z.string().optional(),
              fromHash: z.string().optional().describe("A plain file's SHA-256 (hex)"),
              toHash: z.string().optional(),
              fromSize: z.number().int().optional(),
              toSize: z.number().int().optional(),
              secrecy: z.enum(['secretInFrom', 'secretInTo']).optional(),
            })
            .loose(),
        ),
      })
      .loose(),
  )
  .meta({
    id: 'EnvironmentConfigDiff',
    description: "Each app's config difference between two environments, secrets compared by digest",
  });
