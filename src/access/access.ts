/** The identity parts of a control plane over one store: users, tokens, roles and bindings, sessions, and the authorizer. */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { createAuthorizer, type Authorizer } from './authorizer.js';
import { createRoleStore, type RoleStore } from './roles.js';
import { createSessionStore, type SessionStore } from './sessions.js';
import { createTokenStore, type TokenStore } from './tokens.js';
import { createUserStore, type UserStore } from './users.js';

export interface Access {
  users: UserStore;
  tokens: TokenStore;
  roles: RoleStore;
  sessions: SessionStore;
  authorizer: Authorizer;
}

export function createAccess(db: Kysely<Database>, now: () => Date = () => new Date()): Access {
  const users = createUserStore(db);
  const tokens = createTokenStore(db, now);
  const roles = createRoleStore(db);
  const sessions = createSessionStore(db, now);
  return { users, tokens, roles, sessions, authorizer: createAuthorizer({ users, tokens, roles, sessions }) };
}
