/**
 * An app, or one of its services, named in a request path must exist: a read of an unknown one is a
 * 404 that says what is known, never an empty answer (an empty table would read as "nothing runs").
 */
import { NotFoundError } from '../errors.js';
import type { Release } from '../release/releases.js';
import type { ServerContext } from './context.js';

type Lookup = Pick<ServerContext, 'releases'>;

/** The app's latest revision in the environment; a 404 naming the apps there when it has none. */
export async function requireApp(ctx: Lookup, app: string, env: string): Promise<Release> {
  const [last] = await ctx.releases.list(app, env, 1);
  if (last) return last;
  const here = (await ctx.releases.apps()).filter((a) => a.env === env).map((a) => a.app);
  throw new NotFoundError(
    `no app ${app} in environment ${env} (${here.length ? `apps there: ${here.join(', ')}` : 'no app has been deployed there'})`,
    { details: { app, env } },
  );
}

/**
 * The service must be one of the app's: in its latest revision's berth.yaml or in the one running
 * (a service a failed deploy removed still has logs). Looked up as an own key only.
 */
export async function requireService(ctx: Lookup, app: string, env: string, service: string): Promise<void> {
  const last = await requireApp(ctx, app, env);
  const current = await ctx.releases.current(app, env);
  const known = new Set<string>();
  for (const r of current && current.id !== last.id ? [last, current] : [last]) {
    const { spec } = await ctx.releases.content(r.id);
    for (const name of Object.keys(spec.services)) known.add(name);
  }
  if (known.has(service)) return;
  throw new NotFoundError(`app ${app} has no service ${service} in ${env} (services: ${[...known].join(', ')})`, {
    details: { app, env, service },
  });
}
