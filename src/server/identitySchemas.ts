/** What the identity routes answer, for the OpenAPI document (openapi.ts). */
import { z } from 'zod';
import { PERMISSIONS } from '../model/access.js';

export const Permission = z
  .enum(PERMISSIONS)
  .meta({ id: 'Permission', description: 'A permission an operation needs' });

export const Grant = z
  .object({
    role: z.string(),
    permissions: z.array(Permission),
    app: z.string().describe('An app, or * for any'),
    env: z.string().describe('An environment, or * for any'),
  })
  .meta({ id: 'Grant', description: "One role's permissions in an app and an environment" });

export const Me = z
  .object({
    name: z.string().describe('The user or service account (the bootstrap token: its owner)'),
    kind: z.enum(['user', 'service', 'bootstrap']),
    groups: z.array(z.string()),
    via: z.enum(['token', 'session']),
    credential: z.string().describe('The token (`token:ID`) or session (`session:REF`) this request came with'),
    tokenScopes: z.array(Permission).nullable().describe('The permissions a scoped token is narrowed to'),
    grants: z.array(Grant).describe('What the caller may do, where'),
    csrf: z.string().optional().describe("A console session's CSRF token: send it as x-berth-csrf with every change"),
    signedInWith: z.enum(['password', 'sso']).optional().describe('How a console session was opened'),
  })
  .meta({ id: 'Me', description: 'The caller: who it is and what it may do' });

export const LoginAnswer = z
  .object({
    token: z.string().describe('The personal token (shown once)'),
    id: z.number(),
    user: z.string(),
    expiresAt: z.string().nullable(),
  })
  .meta({ id: 'LoginAnswer', description: "A signed-in CLI's token" });

export const SessionAnswer = z
  .object({
    name: z.string(),
    kind: z.enum(['user', 'service']),
    groups: z.array(z.string()),
    via: z.literal('session'),
    csrf: z.string().describe('Send it as x-berth-csrf with every change made with this session'),
    expiresAt: z.string(),
  })
  .meta({ id: 'SessionAnswer', description: 'A console session opened (its cookie is set by the answer)' });
