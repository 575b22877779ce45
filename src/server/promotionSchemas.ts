/** What the promotion routes answer, for the OpenAPI document (openapi.ts). */
import { z } from 'zod';
import { Plan, Release } from './responseSchemas.js';
import { EnvironmentConfigDiff } from './envCopySchemas.js';

export const PromotionPreview = z
  .object({
    app: z.string(),
    from: z.string(),
    to: z.string(),
    source: Release.describe("The revision promoted: the app's current succeeded one in `from`"),
    current: Release.optional().describe('What runs in `to` now'),
    protected: z.boolean().describe('Whether `to` is protected: the promotion then needs `confirmed: true`'),
    config: EnvironmentConfigDiff.element.describe("The app's config difference from `from` to `to`"),
    plan: Plan.describe('What changes in `to`'),
  })
  .loose()
  .meta({ id: 'PromotionPreview', description: 'What a promotion would do, shown before it runs' });
