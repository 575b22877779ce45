/**
 * Protected environments (`berth env set ENV --protected`): a deploy, promotion or rollback into one
 * needs an explicit confirmation (API body `confirmed: true`, the CLI's question or `--yes`).
 *
 * Every operation into an environment asks a `ProtectionGate`; `confirmationGate` lets a confirmed
 * request through. An environment that needs approvals (`approvalsRequired`) never reaches the gate:
 * its direct operations are recorded as approval requests and run once approved (src/approvals/,
 * src/server/approvalAsk.ts), an approval standing for the confirmation.
 */
import { BerthError, ErrorCode } from '../errors.js';
import type { Environment, Environments } from './environments.js';

/** What is done to a protected environment. */
export type GuardedAction = 'deploy' | 'promote' | 'rollback';

export interface GuardedRequest {
  env: Environment;
  app: string;
  action: GuardedAction;
  author: string;
  /** The request's explicit confirmation (later: an approval). */
  confirmed: boolean;
}

/** Decides whether an operation into a protected environment may go ahead; throws when not. */
export interface ProtectionGate {
  authorize(req: GuardedRequest): Promise<void>;
}

/** Whether operations into `env` need a confirmation. */
export function isProtected(env: Pick<Environment, 'target'>): boolean {
  return env.target.protected === true;
}

/**
 * How many approvals by others an operation into `env` waits for (`berth env set ENV --approvals N`);
 * 0: none. An environment with approvals takes them in place of the explicit confirmation: its direct
 * operations are recorded as approval requests (src/approvals/, docs/access.md Approvals).
 */
export function approvalsRequired(env: Pick<Environment, 'target'>): number {
  return env.target.approvals ?? 0;
}

/** The refusal of an unconfirmed operation into a protected environment (HTTP 403). */
export function protectedError(req: Omit<GuardedRequest, 'confirmed' | 'author'>): BerthError {
  return new BerthError(
    ErrorCode.forbidden,
    `environment ${req.env.name} is protected: a ${req.action} of ${req.app} into it needs an explicit confirmation (API: confirmed: true; CLI: answer y or pass --yes)`,
    { details: { env: req.env.name, app: req.app, action: req.action, protected: true } },
  );
}

/** Until approvals exist: a protected environment takes what is explicitly confirmed. */
export const confirmationGate: ProtectionGate = {
  async authorize(req) {
    if (isProtected(req.env) && !req.confirmed) throw protectedError(req);
  },
};

/** Asks `gate` whether `action` of `app` into environment `env` may go ahead (NotFound for an unknown environment). */
export async function requireAuthorized(
  environments: Pick<Environments, 'get'>,
  req: Omit<GuardedRequest, 'env'> & { env: string },
  gate: ProtectionGate = confirmationGate,
): Promise<void> {
  await gate.authorize({ ...req, env: await environments.get(req.env) });
}
