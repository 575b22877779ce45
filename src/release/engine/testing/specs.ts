/** berth.yaml texts the engine's tests deploy. */

/** Three levels: db, then api (needs db), then web (needs api); `version` changes every workload. */
export function threeLevels(version = '1', extra = ''): string {
  return `name: shop
services:
  db:
    command: node db.js
    ports: [5432]
    env: { VERSION: '${version}' }
  api:
    command: node api.js
    ports: [8081]
    dependsOn: [db]
    env: { VERSION: '${version}' }
  web:
    command: node web.js
    ports: [8080]
    dependsOn: [api]
    env: { VERSION: '${version}' }
${extra}`;
}

/** One service rolled out by canary: 50%, a manual pause, then 100%. */
export function canary(version = '1'): string {
  return `name: shop
services:
  web:
    command: node web.js
    replicas: 2
    ports: [8080]
    env: { VERSION: '${version}' }
    strategy:
      type: canary
      steps:
        - weight: 50
        - pause: manual
`;
}

/** One service rolled out by canary with timed steps only: 50% and 100% analysed each second, a 2 s pause between. */
export function timedCanary(version = '1'): string {
  return canary(version).replace(
    '        - pause: manual\n',
    '        - pause: 2s\n      analysis:\n        interval: 1s\n        minRequests: 10\n',
  );
}
