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
import { dnsLabel } from '../../spec/dnsLabel.js';

export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const name = dnsLabel();

/** `:app` and `:env` path parameters. */
export const AppEnvParams = z.object({ app: name.describe('App name'), env: name.describe('Environment name') });

/** A berth.yaml sent by the client: its path (for error messages and relative `cwd`) and its text. */
export const SpecInput = z
  .object({
    file: z.string().min(1).describe('Absolute path of the berth.yaml on this machine'),
    // The size limit (1 MiB of UTF-8) is checked by the loader, which answers 413 naming it.
    text: z.string().describe('Content of the berth.yaml, at most 1 MiB (UTF-8); a larger one is refused with 413'),
  })
  .describe('An app spec');

/** A change to a config set, as PATCH …/config takes it (and a plan, to preview one). */
export const ConfigChangeInput = z.object({
  baseVersion: z.number().int().min(0).describe('The version this change is based on; a stale one is refused with 409'),
  set: z
    .record(
      z.string(),
      z.union([
        z.string().max(1_000_000),
        z.object({ value: z.string().max(1_000_000), secret: z.boolean().optional() }),
      ]),
    )
    .optional()
    .describe(
      'Values to set: a string, or { value, secret }. Secret omitted keeps a key as it is (a secret stays secret); true makes it secret; false makes a secret plain, the one way to',
    ),
  unset: z.array(z.string()).optional().describe('Keys to remove'),
  files: z
    .record(z.string(), z.string().max(1_000_000).nullable())
    .optional()
    .describe('Config files to set, a secret file staying secret (null removes)'),
  secretFiles: z
    .record(z.string(), z.string().max(1_000_000))
    .optional()
    .describe('Config files whose content is secret'),
  plainFiles: z
    .record(z.string(), z.string().max(1_000_000))
    .optional()
    .describe('Config files set as plain files: the one way to make a secret file plain'),
});

/** The store's form of a ConfigChangeInput (without author and message). */
export function configChangeOf<T extends Partial<z.infer<typeof ConfigChangeInput>>>(
  b: T,
): Omit<T, 'set'> & { set?: Record<string, { value: string; secret?: boolean }> } {
  const { set, ...rest } = b;
  if (!set) return rest;
  return {
    ...rest,
    set: Object.fromEntries(Object.entries(set).map(([k, v]) => [k, typeof v === 'string' ? { value: v } : v])),
  };
}

/** Writes an SSE message. */
export function sse(raw: NodeJS.WritableStream, event: string, data: unknown, id?: number): void {
  raw.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
