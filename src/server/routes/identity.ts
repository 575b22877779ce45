/**
 * The caller's identity (`GET /api/v1/me`: who, how, and what it may do where — the console hides what
 * its user may not do from it). Users, tokens, roles and bindings: docs/access.md.
 */
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';
import { principalOf } from '../identity.js';

export function identityRoutes(api: Api, ctx: ServerContext): void {
  api.get(
    '/api/v1/me',
    { schema: { summary: 'Who the caller is and what it may do', tags: ['identity'] } },
    async (req) => {
      const p = principalOf(req);
      return {
        name: p.name,
        kind: p.kind,
        groups: [...p.groups],
        via: p.via,
        credential: p.credentialId,
        tokenScopes: p.tokenScopes ? [...p.tokenScopes] : null,
        grants: await ctx.access.authorizer.grants(p),
        ...(req.consoleSession ? { csrf: req.consoleSession.csrf, signedInWith: req.consoleSession.via } : {}),
      };
    },
  );
}
