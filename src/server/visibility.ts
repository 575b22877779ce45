/**
 * What a list shows (docs/access.md, "Scopes"): a list lets in a caller that holds its permission
 * anywhere, and shows only the entries its grants cover — an entry of one app in one environment when a
 * grant covers both, an entry of an app alone (a preview, a webhook delivery) when a grant covers the app
 * in some environment.
 */
import type { FastifyRequest } from 'fastify';
import { allows, type Permission, type Scope } from '../model/access.js';
import type { ServerContext } from './context.js';
import { principalOf } from './identity.js';

/** Whether the caller of `req` may see an entry about `scope` of a list that needs `permission`. */
export async function visibleTo(
  req: FastifyRequest,
  ctx: Pick<ServerContext, 'access'>,
  permission: Permission,
): Promise<(scope: Scope) => boolean> {
  const grants = await ctx.access.authorizer.grants(principalOf(req));
  return (scope) => allows(grants, permission, scope, 'within');
}
