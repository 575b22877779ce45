/**
 * The web console: the single-page app built by Vite into dist/console, served at `/`. Hashed assets
 * get a year-long immutable cache; every other path that is not under /api gets index.html, so the
 * console's own routes (/apps/shop/local/config, ...) survive a reload. The console's files need no
 * token (the app asks for it on its sign-in page and sends it on API calls only).
 */
import { stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAbsolute, relative, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** Where the built console is looked for: dist/console next to the compiled server, or from the sources. */
function defaultRoot(): string | undefined {
  const candidates = [
    fileURLToPath(new URL('../../console/', import.meta.url)), // dist/server/routes → dist/console
    fileURLToPath(new URL('../../../dist/console/', import.meta.url)), // src/server/routes → dist/console
  ];
  return candidates.find((dir) => existsSync(resolve(dir, 'index.html')));
}

const YEAR_SECONDS = 365 * 24 * 3600;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the console at `/` and adds its routes to `publicRoutes` (the set of route URLs the token
 * check skips). `root` overrides where the built console is (tests).
 */
export async function consoleRoutes(
  app: FastifyInstance,
  publicRoutes: Set<string>,
  opts: { root?: string } = {},
): Promise<void> {
  const root = opts.root ?? defaultRoot();
  publicRoutes.add('/*');
  if (root) await app.register(fastifyStatic, { root, serve: false });

  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    // The router has decoded the wildcard already: decoding again would turn `%25E0` into a URIError.
    const path = (req.params as { '*': string })['*'] ?? '';
    if (path === 'api' || path.startsWith('api/')) {
      return reply.status(404).send({ code: 'NOT_FOUND', message: `no route GET /${path}` });
    }
    if (!root) {
      return reply.status(404).send({
        code: 'NOT_FOUND',
        message: 'the console is not built: run `npm run build` (it goes to dist/console)',
      });
    }
    const file = resolve(root, path);
    const rel = relative(root, file);
    const inside = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    if (inside && (await isFile(file))) {
      // Vite names everything under assets/ by content hash: it never changes under the same name.
      if (rel.startsWith('assets/')) return reply.sendFile(rel, { maxAge: YEAR_SECONDS * 1000, immutable: true });
      return reply.header('cache-control', 'no-cache').sendFile(rel, { cacheControl: false });
    }
    if (rel.startsWith('assets/')) return reply.status(404).send({ code: 'NOT_FOUND', message: `no file /${path}` });
    // A console route: the app decides what to show, so a reload of a deep link works.
    return reply.header('cache-control', 'no-cache').type('text/html').sendFile('index.html', { cacheControl: false });
  });
}
