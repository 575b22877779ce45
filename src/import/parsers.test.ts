/** The small parsers the mappers rely on: argv splitting, port and volume syntax, probes, names, addresses. */
import { describe, expect, it } from 'vitest';
import { findServiceRefs, rewriteServiceRefs } from './discovery.js';
import { httpProbeOf } from './mapHealthcheck.js';
import { parseShortPort } from './mapPorts.js';
import { parseShortVolume } from './mapVolumes.js';
import { secretName, secretValue, serviceNames } from './names.js';
import { shellWords } from './shellWords.js';

describe('shellWords', () => {
  it('splits like compose, without a shell', () => {
    expect(shellWords(`node server.js --name "a b" 'c d' e\\ f`)).toEqual([
      'node',
      'server.js',
      '--name',
      'a b',
      'c d',
      'e f',
    ]);
    expect(shellWords('sh -c "echo \\"hi\\" && ls"')).toEqual(['sh', '-c', 'echo "hi" && ls']);
    expect(shellWords('echo "open')).toBeUndefined();
  });
});

describe('parseShortPort', () => {
  it('reads every short form', () => {
    expect(parseShortPort('3000')).toEqual({ ports: [3000], protocol: 'tcp' });
    expect(parseShortPort('8080:80')).toEqual({ ports: [80], protocol: 'tcp', published: '8080' });
    expect(parseShortPort('127.0.0.1:8080:80/udp')).toEqual({
      ports: [80],
      protocol: 'udp',
      published: '8080',
      hostIp: '127.0.0.1',
    });
    expect(parseShortPort('::1:6000:6000')).toMatchObject({ ports: [6000], hostIp: '::1' });
    expect(parseShortPort('[::1]:6001:6001')).toMatchObject({ ports: [6001], hostIp: '::1' });
    expect(parseShortPort('9090-9091:8080-8081')).toMatchObject({ ports: [8080, 8081], published: '9090-9091' });
    expect(parseShortPort('1-1000')).toBeUndefined();
    expect(parseShortPort('http')).toBeUndefined();
  });
});

describe('parseShortVolume', () => {
  it('tells binds, named and anonymous volumes apart', () => {
    expect(parseShortVolume('./conf:/etc/conf:ro')).toEqual({
      type: 'bind',
      source: './conf',
      target: '/etc/conf',
      readOnly: true,
    });
    expect(parseShortVolume('data:/var/lib/data')).toEqual({
      type: 'volume',
      source: 'data',
      target: '/var/lib/data',
      readOnly: false,
    });
    expect(parseShortVolume('/scratch')).toEqual({ type: 'volume', target: '/scratch', readOnly: false });
    expect(parseShortVolume('C:\\data:/data')).toMatchObject({ type: 'bind', source: 'C:\\data', target: '/data' });
  });
});

describe('httpProbeOf', () => {
  it('recognises curl and wget of localhost, and nothing else', () => {
    expect(httpProbeOf('curl -f http://localhost:8080/healthz || exit 1')).toEqual({ path: '/healthz', port: 8080 });
    expect(httpProbeOf('wget -qO- http://127.0.0.1/ready?full=1')).toEqual({ path: '/ready?full=1' });
    expect(httpProbeOf('curl --fail --max-time 2 http://localhost')).toEqual({ path: '/' });
    expect(httpProbeOf('curl -X POST http://localhost/x')).toBeUndefined();
    expect(httpProbeOf('curl http://db:5432/')).toBeUndefined();
    expect(httpProbeOf('curl -f http://localhost/ && touch ok')).toBeUndefined();
  });
});

describe('names', () => {
  it('finds secret-looking names and values', () => {
    for (const k of [
      'DB_PASSWORD',
      'api_token',
      'CLIENT_SECRET',
      'API_KEY',
      'APIKEY',
      'AWS_ACCESS_KEY_ID',
      'SMTP_PASS',
    ])
      expect(secretName(k), k).toBeDefined();
    for (const k of ['KEYCLOAK_URL', 'MONKEY_MODE', 'LOG_LEVEL', 'PORT']) expect(secretName(k), k).toBeUndefined();
    expect(secretValue('postgres://u:p@db/app')).toBeDefined();
    expect(secretValue('postgres://u@db/app')).toBeUndefined();
  });

  it('makes unique Berth service names', () => {
    expect([...serviceNames(['Web_App', 'web-app', '9lives', 'api.v2']).values()]).toEqual([
      'web-app',
      'web-app-2',
      'lives',
      'api-v2',
    ]);
  });
});

describe('service addresses', () => {
  const services = [
    { composeName: 'web', name: 'web', primaryPort: 3000 },
    { composeName: 'db', name: 'db', primaryPort: 5432 },
    { composeName: 'orders_db', name: 'orders-db', primaryPort: 5432 },
    { composeName: 'cache', name: 'cache' },
  ];
  it('rewrites host:port and URL hosts to discovery variables, and leaves other text alone', () => {
    expect(rewriteServiceRefs('postgres://db:5432/app', 'URL', 'web', services).template).toBe(
      'postgres://${DB_HOST}:${DB_PORT}/app',
    );
    expect(rewriteServiceRefs('http://orders_db/x', 'URL', 'web', services).template).toBe(
      'http://${ORDERS_DB_HOST}:${ORDERS_DB_PORT}/x',
    );
    expect(rewriteServiceRefs('db', 'DB_HOST', 'web', services).template).toBe('${DB_HOST}');
    expect(rewriteServiceRefs('db', 'MODE', 'web', services).refs).toEqual([]);
    expect(rewriteServiceRefs('db:6543 costs 5$', 'X', 'web', services).template).toBeUndefined();
    expect(rewriteServiceRefs('mydb:5432', 'X', 'web', services).refs).toEqual([]);
    expect(findServiceRefs('cache:6379', 'X', 'web', services)).toMatchObject([{ composeName: 'cache', port: 6379 }]);
    expect(rewriteServiceRefs('cache:6379', 'X', 'web', services).template).toBeUndefined();
    expect(rewriteServiceRefs('http://web:3000', 'X', 'web', services).refs).toEqual([]);
  });
});
