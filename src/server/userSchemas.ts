/** What the user, token and role routes answer (routes/users.ts, tokens.ts, roles.ts), for the OpenAPI document. */
import { z } from 'zod';
import { Permission, type Me } from './identitySchemas.js';

export const User = z
  .object({
    name: z.string(),
    kind: z.enum(['user', 'service']),
    displayName: z.string().nullable(),
    source: z.enum(['local', 'sso']),
    disabled: z.boolean(),
    hasPassword: z.boolean().describe('Whether it can sign in with a password'),
    groups: z.array(z.string()),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
  })
  .meta({ id: 'User', description: 'A user or a service account (never its password)' });

export const UserList = z.array(User).meta({ id: 'UserList' });

export const StoredToken = z
  .object({
    id: z.number(),
    name: z.string(),
    kind: z.enum(['bootstrap', 'personal', 'service']),
    user: z.string().nullable().describe('The user or service account it acts as; null for a bootstrap token'),
    description: z.string().nullable(),
    scopes: z.array(Permission).nullable().describe('The permissions it is narrowed to (null: its owner’s roles)'),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'StoredToken', description: 'A token as stored: never its secret' });

export const TokenList = z.array(StoredToken).meta({ id: 'TokenList' });

export const IssuedToken = StoredToken.extend({
  token: z.string().describe('The secret: shown in this answer only'),
}).meta({ id: 'IssuedToken', description: 'A new token, with its secret (shown once)' });

export const Role = z
  .object({
    name: z.string(),
    builtin: z.boolean(),
    permissions: z.array(Permission),
    description: z.string().nullable(),
  })
  .meta({ id: 'Role', description: 'A built-in or custom role: a set of permissions' });

export const RoleList = z.array(Role).meta({ id: 'RoleList' });

export const RoleBinding = z
  .object({
    id: z.number(),
    subjectKind: z.enum(['user', 'group']),
    subject: z.string(),
    role: z.string(),
    app: z.string().describe('An app, or * for any'),
    env: z.string().describe('An environment, or * for any'),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
  })
  .meta({ id: 'RoleBinding', description: 'A role given to a user or a group in an app and an environment' });

export const RoleBindingList = z.array(RoleBinding).meta({ id: 'RoleBindingList' });

export type UserView = z.infer<typeof User>;
export type StoredTokenView = z.infer<typeof StoredToken>;
export type IssuedTokenView = z.infer<typeof IssuedToken>;
export type RoleView = z.infer<typeof Role>;
export type RoleBindingView = z.infer<typeof RoleBinding>;
/** `GET /api/v1/me`. */
export type MeView = z.infer<typeof Me>;
