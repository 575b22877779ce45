/** What the preview routes answer, for the OpenAPI document (openapi.ts). */
import { z } from 'zod';

export const Preview = z
  .object({
    app: z.string(),
    key: z.string().describe('`pr-12`, or a branch made a DNS label'),
    env: z.string().describe('The environment: `<template>-<key>`, at most 32 characters'),
    template: z.string(),
    state: z.enum(['opening', 'open', 'closing', 'closed']),
    author: z.string(),
    ttlMs: z.number().int().describe('Time to live after the last open'),
    createdAt: z.string(),
    updatedAt: z.string().describe('The last open'),
    expiresAt: z.string().describe('When the sweeper closes it unless opened again'),
    edgePort: z.number().int().optional().describe('Its edge port on this machine'),
    closedAt: z.string().optional(),
    closedReason: z.string().optional(),
    error: z.string().optional().describe('Why the last close failed (tried again by the sweeper)'),
  })
  .loose()
  .meta({ id: 'Preview', description: 'A preview environment of a branch or pull request' });

export const PreviewList = z.array(Preview).meta({ id: 'PreviewList' });
