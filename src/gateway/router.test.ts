import { describe, expect, it } from 'vitest';
import { forwardHeaders, isHopByHop } from './headers.js';
import { compileRoutes, matchRoute, normaliseHost, prefixMatches, rewritePath } from './router.js';
import type { EdgeRoute } from './table.js';

const routes: EdgeRoute[] = [
  { pathPrefix: '/', target: 'web', stripPrefix: false },
  { pathPrefix: '/api', target: 'api', stripPrefix: true },
  { pathPrefix: '/api/orders/', target: 'orders', stripPrefix: false },
  { host: 'Admin.Example.com', pathPrefix: '/', target: 'admin', stripPrefix: false },
  { host: 'admin.example.com', pathPrefix: '/api', target: 'admin-api', stripPrefix: false },
];
const compiled = compileRoutes(routes, (r) => r.target);
const target = (host: string | undefined, url: string): string | undefined => matchRoute(compiled, host, url)?.target;

describe('router', () => {
  it('matches prefixes only at a segment boundary', () => {
    expect(prefixMatches('/api', '/api')).toBe(true);
    expect(prefixMatches('/api/x', '/api')).toBe(true);
    expect(prefixMatches('/api?q=1', '/api')).toBe(true);
    expect(prefixMatches('/apix', '/api')).toBe(false);
    expect(prefixMatches('/anything', '')).toBe(true);
  });

  it('picks the longest prefix among host-less routes', () => {
    expect(target(undefined, '/')).toBe('web');
    expect(target('shop.local', '/apix')).toBe('web');
    expect(target('shop.local', '/api')).toBe('api');
    expect(target('shop.local', '/api/orders')).toBe('orders');
    expect(target('shop.local', '/api/orders/7?x=1')).toBe('orders');
    expect(target('shop.local', '/api/ordersx')).toBe('api');
  });

  it('prefers host-specific routes (case-insensitive, port ignored) over longer host-less ones', () => {
    expect(target('admin.example.com', '/api/orders/1')).toBe('admin-api');
    expect(target('ADMIN.example.COM:8080', '/')).toBe('admin');
    expect(target('admin.example.com', '/other')).toBe('admin');
    expect(target('other.example.com', '/other')).toBe('web');
  });

  it('matches wildcard hosts by one label; exact beats wildcard, longer wildcard beats shorter, any host last', () => {
    const wild = compileRoutes(
      [
        { pathPrefix: '/', target: 'any', stripPrefix: false },
        { host: '*.shop.local', pathPrefix: '/', target: 'wild', stripPrefix: false },
        { host: '*.eu.shop.local', pathPrefix: '/', target: 'wild-eu', stripPrefix: false },
        { host: 'a.shop.local', pathPrefix: '/', target: 'exact', stripPrefix: false },
        { host: '*.shop.local', pathPrefix: '/api', target: 'wild-api', stripPrefix: false },
      ],
      (r) => r.target,
    );
    const t = (host: string, url = '/'): string | undefined => matchRoute(wild, host, url)?.target;
    expect(t('b.shop.local')).toBe('wild');
    expect(t('B.Shop.Local:8080', '/api/x')).toBe('wild-api');
    expect(t('a.shop.local')).toBe('exact');
    // The host decides before the prefix: the exact host's `/` beats the wildcard's `/api`.
    expect(t('a.shop.local', '/api/x')).toBe('exact');
    expect(t('x.eu.shop.local')).toBe('wild-eu');
    // One label only, as a Kubernetes Ingress wildcard: neither the bare suffix nor two labels.
    expect(t('shop.local')).toBe('any');
    expect(t('a.b.shop.local')).toBe('any');
    expect(t('.shop.local')).toBe('any');
    expect(t('ashop.local')).toBe('any');
    expect(wild.map((r) => r.target)).toEqual(['exact', 'wild-eu', 'wild-api', 'wild', 'any']);
  });

  it('returns no route when nothing matches', () => {
    const only = compileRoutes([{ pathPrefix: '/api', target: 'api', stripPrefix: false }], (r) => r.target);
    expect(matchRoute(only, 'x', '/')).toBeUndefined();
    expect(matchRoute(only, 'x', '/ap')).toBeUndefined();
  });

  it('strips the prefix keeping a leading slash', () => {
    const api = matchRoute(compiled, 'x', '/api/users?id=1')!;
    expect(rewritePath(api, '/api/users?id=1')).toBe('/users?id=1');
    expect(rewritePath(api, '/api')).toBe('/');
    expect(rewritePath(api, '/api?q=1')).toBe('/?q=1');
    const orders = matchRoute(compiled, 'x', '/api/orders/1')!;
    expect(rewritePath(orders, '/api/orders/1')).toBe('/api/orders/1');
  });

  it('normalises hosts', () => {
    expect(normaliseHost('Shop.Example:8080')).toBe('shop.example');
    expect(normaliseHost('[::1]:80')).toBe('[::1]');
    expect(normaliseHost(undefined)).toBe('');
  });
});

describe('headers', () => {
  it('recognises hop-by-hop headers in any case', () => {
    for (const h of [
      'Connection',
      'keep-alive',
      'Transfer-Encoding',
      'TE',
      'Upgrade',
      'Trailer',
      'Proxy-Authorization',
      'proxy-connection',
    ]) {
      expect(isHopByHop(h), h).toBe(true);
    }
    for (const h of ['Host', 'Content-Type', 'Trailers-x', 'accept', 'x-proxy-id', 'Content-Length'])
      expect(isHopByHop(h), h).toBe(false);
  });

  it('drops hop-by-hop and Connection-listed headers, keeps Host, sets forwarding headers', () => {
    const fwd = forwardHeaders(
      [
        'Host',
        'shop.local:8080',
        'Connection',
        'keep-alive, X-Secret',
        'X-Secret',
        's',
        'Keep-Alive',
        'timeout=5',
        'Transfer-Encoding',
        'chunked',
        'X-Forwarded-For',
        '10.0.0.1',
        'X-Forwarded-Proto',
        'https',
        'Accept',
        '*/*',
        'Expect',
        '100-continue',
        'Host',
        'second',
      ],
      '127.0.0.1',
    );
    expect(fwd.host).toBe('shop.local:8080');
    expect(fwd.hasBody).toBe(true);
    expect(fwd.headers).toEqual([
      'Host',
      'shop.local:8080',
      'Accept',
      '*/*',
      'x-forwarded-for',
      '10.0.0.1, 127.0.0.1',
      'x-forwarded-host',
      'shop.local:8080',
      'x-forwarded-proto',
      'http',
    ]);
  });

  it('treats Content-Length 0 and no length as no body', () => {
    expect(forwardHeaders(['Content-Length', '0'], undefined).hasBody).toBe(false);
    expect(forwardHeaders(['Content-Length', '12'], undefined).hasBody).toBe(true);
    expect(forwardHeaders(['Accept', '*/*'], undefined).hasBody).toBe(false);
  });
});
