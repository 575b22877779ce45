/**
 * Edge routes: an app's routes are observable (the edge's URL) and served — host and longest prefix
 * to the right service, a stripped prefix, no route for an unknown host — changed in place, and gone
 * with the app.
 */
import { expect, it } from 'vitest';
import type { AppRoutes, Route } from '../../model/routing.js';
import type { KitContext } from './context.js';

const HOST = 'conform.example';

const byPrefix = (routes: Route[]): Route[] =>
  routes
    .map(({ host, pathPrefix, service, stripPrefix }) => ({
      ...(host ? { host } : {}),
      pathPrefix,
      service,
      stripPrefix,
    }))
    .sort((a, b) => a.pathPrefix.localeCompare(b.pathPrefix));

export function routeTests(k: KitContext): void {
  it('serves the edge routes: host and longest prefix pick the service, a stripped prefix, changed and removed', async () => {
    const rt = k.s.runtime;
    await rt.converge(k.state('web', 1, 'w1'), k.opts());
    await rt.converge(k.state('api', 1, 'a1'), k.opts());
    const routes: AppRoutes = {
      app: k.app,
      env: k.env,
      routes: [
        { host: HOST, pathPrefix: '/', service: 'web', stripPrefix: false },
        { host: HOST, pathPrefix: '/api', service: 'api', stripPrefix: true },
      ],
    };
    await rt.applyRoutes(routes, k.opts());
    await rt.applyRoutes(routes, k.opts());
    const edge = (await rt.observe(k.app, k.env)).edge;
    expect(edge?.url).toMatch(/^http:\/\//);
    expect(edge?.port).toBeGreaterThan(0);
    expect(edge?.error).toBeUndefined();

    const serving = k.s.serving;
    const base = `http://127.0.0.1:${edge!.port}`;
    const host = { host: HOST };
    if (serving.kind === 'requests') {
      expect(await k.ask(base, '/shop/cart?x=1', host)).toMatchObject({
        status: 200,
        service: 'web',
        version: 'w1',
        path: '/shop/cart?x=1',
      });
      expect(await k.ask(base, '/api/items/7', host)).toMatchObject({ status: 200, service: 'api', path: '/items/7' });
      expect((await k.ask(base, '/api/items/7', { host: 'other.example' })).status).toBe(404);
    } else {
      expect(byPrefix(await serving.routes(k.app, k.env))).toEqual(byPrefix(routes.routes));
      expect(await serving.endpoints(k.app, k.env, 'api')).toEqual(['a1']);
    }

    // One route less: /api now reaches web as it is.
    await rt.applyRoutes({ ...routes, routes: routes.routes.slice(0, 1) }, k.opts());
    if (serving.kind === 'requests') {
      expect(await k.ask(base, '/api/items/7', host)).toMatchObject({
        status: 200,
        service: 'web',
        path: '/api/items/7',
      });
    } else {
      expect(byPrefix(await serving.routes(k.app, k.env))).toEqual(byPrefix(routes.routes.slice(0, 1)));
    }

    await rt.remove(k.app, k.env);
    expect((await rt.observe(k.app, k.env)).edge).toBeUndefined();
    if (serving.kind === 'objects') expect(await serving.routes(k.app, k.env)).toEqual([]);
  });
}
