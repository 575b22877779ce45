/** The part of `oidc-provider` (v9, plain JavaScript without types) test/support/oidcProvider.ts uses. */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface IdTokenIssue {
    client: { clientId: string };
    issue(o?: { use?: string; expiresAt?: number }): Promise<string>;
  }
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    readonly Client: {
      adapter: { upsert(id: string, metadata: Record<string, unknown>, ttl?: number): Promise<void> };
    };
    readonly IdToken: { prototype: IdTokenIssue };
  }
}
