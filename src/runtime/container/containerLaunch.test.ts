import { describe, expect, it } from 'vitest';
import { CONTAINER_HOST, containerLaunchOf, homeIdOf } from './containerLaunch.js';
import { CONTAINER_CONFIG_DIR } from '../../model/workload.js';
import { containerRecord, containerState } from './testing.js';

describe('containerLaunchOf', () => {
  const homeId = homeIdOf('/tmp/some-home');

  it('names and labels the container after the home, app, env and replica, and carries the resolved digest', () => {
    const state = containerState('localhost/shop/web:1', {
      imageDigest: 'sha256:0123',
      imagePullPolicy: 'Always',
      entrypoint: ['/bin/app'],
      command: ['--serve'],
    });
    state.registryAuth = { server: 'localhost:5000', username: 'u', password: 'p' };
    const c = containerLaunchOf(
      state,
      containerRecord(state, 'web-abc12-x1y2z', 41000),
      '/h/cfg',
      {},
      homeId,
    ).container!;
    expect(homeId).toMatch(/^[0-9a-f]{10}$/);
    expect(homeIdOf('/tmp/other-home')).not.toBe(homeId);
    expect(c.name).toBe(`berth-${homeId}-shop-local-web-abc12-x1y2z`);
    expect(c.labels).toEqual({
      'berth.home': homeId,
      'berth.app': 'shop',
      'berth.env': 'local',
      'berth.service': 'web',
      'berth.replica': 'web-abc12-x1y2z',
      'berth.hash': 'sha256:abc123',
    });
    // The image as written, and the digest apart: the run creates the container from exactly that (pinnedReference).
    expect(c.digest).toBe('sha256:0123');
    expect(c.image).not.toContain('sha256');
    expect(c.pullPolicy).toBe('Always');
    expect(c.auth?.username).toBe('u');
    expect(c.entrypoint).toEqual(['/bin/app']);
    expect(c.cmd).toEqual(['--serve']);
  });

  it("keeps the image's own entrypoint and command when the service sets none, and pulls IfNotPresent by default", () => {
    const state = containerState('localhost/shop/web:1');
    const c = containerLaunchOf(state, containerRecord(state, 'web-1', 41000), '/h/cfg', {}, homeId).container!;
    expect(c.image).toBe('localhost/shop/web:1');
    expect(c.pullPolicy).toBe('IfNotPresent');
    expect(c.entrypoint).toBeUndefined();
    expect(c.cmd).toBeUndefined();
    expect(c.auth).toBeUndefined();
  });

  it('publishes every declared TCP port on its host port, and $PORT / PORT_<NAME> are the declared ports inside', () => {
    const state = containerState('img', {
      ports: [
        { name: 'http', port: 8080, protocol: 'TCP' },
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'admin-api', port: 9090, protocol: 'TCP' },
      ],
    });
    const rec = containerRecord(state, 'web-1', 41000, { http: 41000, 'admin-api': 41001 });
    const l = containerLaunchOf(state, rec, '/h/cfg', {}, homeId);
    expect(l.container!.ports).toEqual([
      { containerPort: 8080, hostPort: 41000, protocol: 'tcp' },
      { containerPort: 9090, hostPort: 41001, protocol: 'tcp' },
    ]);
    expect(l.env.PORT).toBe('8080');
    expect(l.env.PORT_HTTP).toBe('8080');
    expect(l.env.PORT_ADMIN_API).toBe('9090');
  });

  it('gives no host environment; discovery, service env, replica identity and the cluster config dir instead', () => {
    const state = containerState('img', { env: { GREETING: 'hi', API_HOST: 'overridden' } });
    state.discovery = { API_HOST: '127.0.0.1', API_PORT: '7000', WEB_HOST: '127.0.0.1' };
    const rec = containerRecord(state, 'db-0', 41000, undefined, 0);
    const l = containerLaunchOf(state, rec, '/h/cfg', {}, homeId);
    expect(l.env.PATH).toBeUndefined();
    expect(l.env.HOME).toBeUndefined();
    expect(l.env).toMatchObject({
      GREETING: 'hi',
      API_HOST: 'overridden',
      API_PORT: '7000',
      BERTH_CONFIG_DIR: CONTAINER_CONFIG_DIR,
      BERTH_APP: 'shop',
      BERTH_ENV: 'local',
      BERTH_SERVICE: 'web',
      BERTH_REPLICA: 'db-0',
      BERTH_REPLICA_INDEX: '0',
    });
    expect(l.env.WEB_HOST).toBeUndefined(); // its own address is not discovery
  });

  it('mounts the config dir and files with a mountPath read-only, volumes at their paths, and points their variables inside', () => {
    const state = containerState(
      'img',
      {
        files: [
          { path: 'nginx/site.conf', content: 'x', secret: false, mountPath: '/etc/nginx/conf.d/site.conf' },
          { path: 'plain.conf', content: 'y', secret: false },
        ],
        volumes: [
          { volume: 'pgdata', path: '/var/lib/postgresql/data', env: 'PGDATA', readOnly: false },
          { volume: 'seed', path: '/seed', readOnly: true },
        ],
      },
      { run: { kind: 'service', stateful: true } },
    );
    const rec = containerRecord(state, 'web-1', 41000, undefined, 1);
    const runtimeEnv = {
      BERTH_VOLUME_PGDATA: '/h/volumes/shop/local/pgdata-1',
      PGDATA: '/h/volumes/shop/local/pgdata-1',
      BERTH_VOLUME_SEED: '/h/volumes/shop/local/seed-1',
      DB_0_HOST: '127.0.0.1',
      DB_0_PORT: '41234',
    };
    const l = containerLaunchOf(state, rec, '/h/run/web-1/config', runtimeEnv, homeId);
    expect(l.container!.mounts).toEqual([
      { source: '/h/run/web-1/config', target: '/etc/berth/config', readOnly: true },
      { source: '/h/run/web-1/config/nginx/site.conf', target: '/etc/nginx/conf.d/site.conf', readOnly: true },
      { source: '/h/volumes/shop/local/pgdata-1', target: '/var/lib/postgresql/data', readOnly: false },
      { source: '/h/volumes/shop/local/seed-1', target: '/seed', readOnly: true },
    ]);
    expect(l.env.BERTH_VOLUME_PGDATA).toBe('/var/lib/postgresql/data');
    expect(l.env.PGDATA).toBe('/var/lib/postgresql/data');
    expect(l.env.BERTH_VOLUME_SEED).toBe('/seed');
    expect(l.env.DB_0_HOST).toBe(CONTAINER_HOST);
    expect(l.env.DB_0_PORT).toBe('41234');
  });

  it('sets the memory limit and the CPU limit in billionths of a CPU', () => {
    const state = containerState('img', { resources: { memoryLimitBytes: 64 * 1024 * 1024, cpuLimitMillis: 250 } });
    const c = containerLaunchOf(state, containerRecord(state, 'web-1', 41000), '/c', {}, homeId).container!;
    expect(c.memoryBytes).toBe(64 * 1024 * 1024);
    expect(c.nanoCpus).toBe(250_000_000);
  });

  it('refuses a state without an image, and a volume the runtime did not prepare, naming the service', () => {
    const noImage = containerState('img', { image: undefined });
    expect(() => containerLaunchOf(noImage, containerRecord(noImage, 'web-1', 1), '/c', {}, homeId)).toThrow(
      /web: runs as a container but has no image/,
    );
    const vol = containerState('img', { volumes: [{ volume: 'data', path: '/data', readOnly: false }] });
    expect(() => containerLaunchOf(vol, containerRecord(vol, 'web-1', 1), '/c', {}, homeId)).toThrow(
      /web: volume data was not prepared/,
    );
  });
});
