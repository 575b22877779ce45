/** berth.yaml that is not valid: every problem reported at once, each with its line, column and field path. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseSpec } from './load.js';
import { problemsOf } from './testdata/problemsOf.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');

describe('parseSpec problems', () => {
  it('reports every YAML syntax error with its position', () => {
    const text = ['name: a', 'services:', '  web: { image: x', '  api: [', ''].join('\n');
    expect(problemsOf(text)).toEqual([
      '4:3 : YAML syntax: Flow map in block collection must be sufficiently indented and end with a }',
      '5:1 : YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('reports duplicate keys as YAML errors', () => {
    expect(problemsOf('name: a\nname: b\nservices: { web: { image: x } }\n')).toEqual([
      '2:1 : YAML syntax: Map keys must be unique',
    ]);
  });

  it('reports several documents in one file', () => {
    expect(problemsOf('name: a\n---\nname: b\n')).toEqual([
      '2:1 : YAML syntax: a berth.yaml holds one document, this one has several (`---`)',
    ]);
  });

  it('does not blame a liveness probe with other problems for its default successThreshold', () => {
    expect(
      problemsOf('name: a\nservices:\n  web: { image: x, health: { liveness: { tcp: {}, period: 10x } } }\n'),
    ).toEqual([
      '3:59 services.web.health.liveness.period: invalid duration (use e.g. 500ms, 10s, 5m, 1h, 1m30s, or a number of seconds)',
    ]);
  });

  it('points at the key of a key without a value', () => {
    expect(problemsOf('name: a\nservices:\n  web:\n')).toEqual([
      '3:3 services.web: expected a map, got an empty value',
    ]);
  });

  it('reports an empty file and a document that is not a map', () => {
    expect(problemsOf('')).toEqual(['1:1 : the file is empty: expected a map with `name` and `services`']);
    expect(problemsOf('- a\n')).toEqual(['1:1 : expected a map, got a list']);
  });

  it('reports wrong types, bad values and missing keys', () => {
    const text = [
      'name: Shop_1', // 1
      'services:', // 2
      '  web:', // 3
      '    command: [node, 1]', // 4
      '    replicas: two', // 5
      '    ports: [ "x", 70000, { name: http } ]', // 6
      '    env: { A: [1] }', // 7
      '    health: { liveness: { tcp: {}, period: 10x, successThreshold: 2 } }', // 8
      '    resources: { requests: { cpu: "2" }, limits: { cpu: 1 } }', // 9
      '  api:', // 10
      '    replicas:', // 11
      'routes: { path: / }', // 12
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      '1:7 name: must be lowercase letters, digits and `-`, starting and ending with a letter or digit',
      '4:21 services.web.command.1: expected a string, got the number 1',
      '5:15 services.web.replicas: expected a number, got the string "two"',
      '6:14 services.web.ports.0: expected a number or a map, got the string "x"',
      '6:19 services.web.ports.1: must be between 1 and 65535',
      '6:26 services.web.ports.2.port: missing required key `port`',
      // A list or map value is pointed at by its key.
      '7:12 services.web.env.A: expected a string, a number or true or false, got a list',
      '8:44 services.web.health.liveness.period: invalid duration (use e.g. 500ms, 10s, 5m, 1h, 1m30s, or a number of seconds)',
      '8:67 services.web.health.liveness.successThreshold: a liveness probe needs `successThreshold: 1` (Kubernetes rule)',
      '9:35 services.web.resources.requests.cpu: cpu request (2000m) is above its limit (1000m)',
      '10:3 services.api: a service needs `command` (one machine) or `image` (clusters), or both',
      '11:5 services.api.replicas: expected a number, got an empty value',
      '12:1 routes: expected a list, got a map',
    ]);
  });

  it('reports unknown keys with the closest allowed key', () => {
    const text = [
      'name: a',
      'servics: {}',
      'services:',
      '  web:',
      '    image: x',
      '    replcas: 2',
      '    health: { readiness: { http: { path: /, prot: 80 }, perod: 5s } }',
      '    frobnicate: true',
      'routes:',
      '  - { service: web, strip: true }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      '2:1 servics: unknown key `servics` (did you mean `services`?)',
      '6:5 services.web.replcas: unknown key `replcas` (did you mean `replicas`?)',
      '7:45 services.web.health.readiness.http.prot: unknown key `prot` (did you mean `port`?)',
      '7:57 services.web.health.readiness.perod: unknown key `perod` (did you mean `period`?)',
      '8:5 services.web.frobnicate: unknown key `frobnicate`',
      '10:21 routes.0.strip: unknown key `strip`',
    ]);
  });

  it('refuses a probe path an HTTP request line cannot carry, at its field', () => {
    const text = [
      'name: a',
      'services:',
      '  web:',
      '    image: x',
      '    health: { readiness: { http: { path: "/heal th" } } }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      '5:42 services.web.health.readiness.http.path: must be an HTTP path: no spaces, control or non-ASCII characters (escape them: %20)',
    ]);
  });

  it('reports bad service and variable names at their keys', () => {
    const text = ['name: a', 'variables:', '  1X: a', 'services:', '  Web: { image: x }', '  -api: { image: x }'].join(
      '\n',
    );
    expect(problemsOf(text)).toEqual([
      '3:3 variables.1X: variable names are letters, digits and `_`, not starting with a digit',
      '5:3 services.Web: service names are lowercase letters, digits and `-`, starting with a letter',
      '6:3 services.-api: service names are lowercase letters, digits and `-`, starting with a letter',
    ]);
  });

  it('reports a probe with no check or two checks, and conflicting rollout and restart settings', () => {
    const text = [
      'name: a',
      'services:',
      '  web:',
      '    image: x',
      '    health: { readiness: { period: 5s }, liveness: { http: {}, exec: { command: [/bin/true] } } }',
      '    rollout: { maxSurge: 0, maxUnavailable: 0% }',
      '    restart: { initialBackoff: 10m, maxBackoff: 1m }',
      '    resources: { requests: { memory: 2Gi }, limits: { memory: 1Gi } }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      '5:15 services.web.health.readiness: a probe needs exactly one of `http`, `tcp` or `exec` (found none)',
      '5:42 services.web.health.liveness: a probe needs exactly one of `http`, `tcp` or `exec` (found `http` and `exec`)',
      '6:45 services.web.rollout.maxUnavailable: `maxSurge` and `maxUnavailable` cannot both be 0',
      '7:32 services.web.restart.initialBackoff: `initialBackoff` is longer than `maxBackoff`',
      '8:38 services.web.resources.requests.memory: memory request (2147483648 bytes) is above its limit (1073741824 bytes)',
    ]);
  });

  it('reports duplicate ports and files, and files outside the config directory', () => {
    const text = [
      'name: a',
      'services:',
      '  web:',
      '    image: x',
      '    ports: [8080, { name: http, port: 8081 }, 8080]',
      '    files:',
      '      - { path: a.conf, content: x }',
      '      - { path: a.conf, content: y }',
      '      - { path: ../etc/passwd, content: z }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      '5:19 services.web.ports.1: port name `http` is already used by ports.0',
      '5:47 services.web.ports.2: port 8080/TCP is already listed as ports.0',
      '8:17 services.web.files.1.path: file `a.conf` is already defined by files.0',
      '9:17 services.web.files.2.path: must be a relative path that stays inside the config directory',
    ]);
  });

  it('reports a dependency cycle as its path', () => {
    const text = [
      'name: a',
      'services:',
      '  web: { image: x, dependsOn: [orders] }',
      '  orders: { image: x, dependsOn: [inventory] }',
      '  inventory: { image: x, dependsOn: [payments] }',
      '  payments: { image: x, dependsOn: [orders] }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      '5:38 services.inventory.dependsOn.0: dependency cycle: inventory → payments → orders → inventory',
    ]);
  });

  it('reports missing, misspelt, duplicate and self dependencies', () => {
    const text = [
      'name: a',
      'services:',
      '  web: { image: x, dependsOn: [inventroy, web, payments, inventory, inventory] }',
      '  inventory: { image: x }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      '3:32 services.web.dependsOn.0: unknown service `inventroy` (did you mean `inventory`?)',
      '3:43 services.web.dependsOn.1: service `web` cannot depend on itself',
      '3:48 services.web.dependsOn.2: unknown service `payments`',
      '3:69 services.web.dependsOn.4: `inventory` is listed twice',
    ]);
  });

  it('refuses a route path that is not a URL path, naming the line (a proxy takes it as it is)', () => {
    const text = [
      'name: a',
      'services: { web: { image: x } }',
      'routes:',
      '  - { path: "/a b", service: web }',
      '  - { path: "/a#b", service: web }',
      '  - { path: "/it\'s", service: web }',
      '  - { path: "/ok-~!$&()*+,;=:@%/x", service: web }',
    ].join('\n');
    const why =
      'must be a URL path: `/`, then letters, digits and `-._~!$&()*+,;=:@%/` (no spaces, quotes, `?` or `#`)';
    expect(problemsOf(text)).toEqual([
      `4:13 routes.0.path: ${why}`,
      `5:13 routes.1.path: ${why}`,
      `6:13 routes.2.path: ${why}`,
    ]);
  });

  it('reports routes to missing services and duplicate routes', () => {
    const text = [
      'name: a',
      'services: { web: { image: x } }',
      'routes:',
      '  - { path: /api, service: wbe }',
      '  - { path: /api, host: a.example, service: web }',
      '  - { path: /api, service: web }',
      '  - { service: web }',
      '  - { path: /, service: web }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      '4:28 routes.0.service: unknown service `wbe` (did you mean `web`?)',
      '6:5 routes.2: duplicate route (any host, path `/api`): already routed by routes.0',
      '8:5 routes.4: duplicate route (any host, path `/`): already routed by routes.3',
    ]);
  });

  it('reports undeclared variables where they are used, and accepts the other forms', () => {
    const text = [
      'name: a',
      'variables: { LOG_LEVEL: info, DB_URL: }',
      'services:',
      '  web:',
      '    command: ./run --level ${LOG_LEVL} --port $$PORT',
      '    cwd: ${APP_DIR}',
      '    image: web:${TAG:-latest}',
      '    env:',
      '      OK_DECLARED: "${LOG_LEVEL} ${DB_URL}"',
      '      OK_INLINE: "${A:-x} ${B-y} ${C:?needed} ${D?} ${E:+z} $${NOT_A_VAR}"',
      '      OK_DISCOVERY: "${API_URL}"',
      '      SELF: "${WEB_URL}"',
      '      NESTED: "${F:-${G}}"',
      '      BARE: "$H and $H"',
      '      RUNTIME: "${PORT}"',
      '      BAD: "${1X}"',
      '    files:',
      '      - { path: a.conf, content: "x=${I}" }',
      '  api: { image: x }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      '5:14 services.web.command: undeclared variable `LOG_LEVL` (did you mean `LOG_LEVEL`? otherwise declare it under `variables`)',
      '6:10 services.web.cwd: undeclared variable `APP_DIR` (declare it under `variables`)',
      '12:13 services.web.env.SELF: undeclared variable `WEB_URL` (declare it under `variables`)',
      '13:15 services.web.env.NESTED: undeclared variable `G` (declare it under `variables`)',
      '14:13 services.web.env.BARE: undeclared variable `H` (declare it under `variables`)',
      '15:16 services.web.env.RUNTIME: undeclared variable `PORT` (it only exists when the service runs: write `$$PORT` to leave it to the shell)',
      '16:12 services.web.env.BAD: invalid variable syntax: `${1X}` is not a valid variable reference (names are letters, digits and `_`, not starting with a digit)',
      '18:34 services.web.files.0.content: undeclared variable `I` (declare it under `variables`)',
    ]);
  });

  it('collects problems of every kind into one error, in file order', async () => {
    const text = await readFile(path.join(testdata, 'broken', 'berth.yaml'), 'utf8');
    const err = (() => {
      try {
        parseSpec(text, 'berth.yaml');
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('expected a ValidationError');
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe('berth.yaml has 6 problems');
    expect(err.problems).toEqual([
      {
        file: 'berth.yaml',
        line: 5,
        column: 5,
        path: 'services.web.replcas',
        message: 'unknown key `replcas` (did you mean `replicas`?)',
      },
      {
        file: 'berth.yaml',
        line: 6,
        column: 17,
        path: 'services.web.dependsOn.0',
        message: 'unknown service `inventroy` (did you mean `inventory`?)',
      },
      {
        file: 'berth.yaml',
        line: 8,
        column: 17,
        path: 'services.web.env.GREETING',
        message: 'undeclared variable `USER_NAME` (declare it under `variables`)',
      },
      {
        file: 'berth.yaml',
        line: 11,
        column: 15,
        path: 'services.inventory.replicas',
        message: 'expected a number, got the string "two"',
      },
      {
        file: 'berth.yaml',
        line: 12,
        column: 17,
        path: 'services.inventory.dependsOn.0',
        message: 'dependency cycle: inventory → orders → inventory',
      },
      {
        file: 'berth.yaml',
        line: 18,
        column: 5,
        path: 'routes.1',
        message: 'duplicate route (any host, path `/`): already routed by routes.0',
      },
    ]);
    expect(err.describe().split('\n')[1]).toBe(
      '  berth.yaml:5:5 services.web.replcas: unknown key `replcas` (did you mean `replicas`?)',
    );
  });
});
