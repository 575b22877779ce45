/** What the single sign-on routes answer, for the OpenAPI document (openapi.ts; docs/access.md "Single sign-on"). */
import { z } from 'zod';

export const SsoInfo = z
  .object({
    enabled: z.boolean().describe('Whether "Sign in with SSO" works now (configured and its issuer discovered)'),
    issuer: z.string().optional().describe('The OpenID provider (when configured)'),
  })
  .meta({ id: 'SsoInfo', description: 'Whether single sign-on is offered' });

export const Redirect = z.null().describe('A redirect: the Location header says where');

export const SsoCliStart = z
  .object({ url: z.string().describe("The provider's sign-in page to open in a browser") })
  .meta({ id: 'SsoCliStart', description: 'A CLI sign-in started' });

export const SsoCliToken = z
  .object({
    token: z.string().describe('The personal token (shown once)'),
    id: z.number(),
    user: z.string(),
    expiresAt: z.string().nullable(),
  })
  .meta({ id: 'SsoCliToken', description: "A CLI's token from single sign-on" });
