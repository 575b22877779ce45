/** The typed fastify instance every route module registers on, and schemas shared by routes. */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'lowercase letters, digits and -');

/** `:app` and `:env` path parameters. */
export const AppEnvParams = z.object({ app: name.describe('App name'), env: name.describe('Environment name') });

/** A berth.yaml sent by the client: its path (for error messages and relative `cwd`) and its text. */
export const SpecInput = z
  .object({
    file: z.string().min(1).describe('Absolute path of the berth.yaml on this machine'),
    text: z.string().max(2_000_000).describe('Content of the berth.yaml'),
  })
  .describe('An app spec');

/** Who asks, as the CLI or console reports it (the token identifies the caller, this names the person). */
export const Author = z.string().min(1).max(100).default('api').describe('Who makes the change');

/** Writes an SSE message. */
export function sse(raw: NodeJS.WritableStream, event: string, data: unknown, id?: number): void {
  raw.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
