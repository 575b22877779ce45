/**
 * What the control plane does on someone's behalf is in the audit log (issue 18, point 4): a signed
 * GitHub push delivery (recorded as `webhook:github`, its body as event, delivery id, size and digest,
 * never the signature) starts a pipeline run whose deploy step releases the app — recorded as
 * `pipeline:<app>` acting for the run's author, with the revision it made; the chain stays intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBerth, waitFor, type Berth } from './harness.js';
import { startGitServer, type GitServer, type TestRepo } from '../support/gitServer.js';
import { pushBody, sendGitHub } from '../support/webhookDelivery.js';
import type { PipelineRun } from '../../src/model/pipeline.js';
import type { AuditEntry } from '../../src/model/audit.js';

const HOOK_SECRET = 's3cret-audit-hook';
const SERVER = `
import { createServer } from 'node:http';
createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

let berth: Berth;
let git: GitServer;
let repo: TestRepo;
let dir: string;
beforeAll(async () => {
  git = await startGitServer();
  repo = await git.repo('auditpipe');
  dir = await mkdtemp(join(tmpdir(), 'berth-auditpipe-'));
  berth = await startBerth({ env: { PIPELINE_SECRET: HOOK_SECRET } });
});
afterAll(async () => {
  await berth?.teardown();
  await git?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the audit log of a webhook-started pipeline deploy', () => {
  it('records the delivery as webhook:github and the deploy step as the pipeline acting for the run', async () => {
    const commit = await repo.commit(
      {
        'app/server.mjs': SERVER,
        'app/berth.yaml': [
          'name: auditpipe',
          'services:',
          '  web:',
          '    command: node server.mjs',
          '    health: { readiness: { http: { path: / }, period: 1s } }',
          '',
        ].join('\n'),
      },
      'first',
    );
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      [
        `source: { url: "${repo.url}", branch: main, path: app }`,
        'webhook: { secret: "${PIPELINE_SECRET}" }',
        'steps:',
        '  - deploy: { env: local }',
        '',
      ].join('\n'),
    );
    const set = await berth.cli(['pipeline', 'set', 'auditpipe', '-f', file], {
      env: { PIPELINE_SECRET: HOOK_SECRET },
    });
    expect(set.code, set.stderr).toBe(0);
    const r = await sendGitHub(berth.url, 'auditpipe', {
      event: 'push',
      deliveryId: 'audit-delivery-1',
      secret: HOOK_SECRET,
      body: await pushBody({ after: commit }),
    });
    expect(r.status).toBe(202);
    const run = await waitFor(
      'run',
      async () => {
        const runs = await berth.json<PipelineRun[]>(['pipeline', 'runs', 'auditpipe']);
        return runs[0]?.status === 'succeeded' || runs[0]?.status === 'failed' ? runs[0] : undefined;
      },
      60_000,
    );
    expect(run.status).toBe('succeeded');

    const entries = await berth.json<AuditEntry[]>(['audit', '--app', 'auditpipe']);
    const delivery = entries.find((e) => e.operation.id === 'receiveWebhook');
    expect(delivery).toMatchObject({
      actor: { name: 'webhook:github', kind: 'webhook' },
      address: '127.0.0.1',
      target: { app: 'auditpipe' },
      outcome: { kind: 'ok', status: 202 },
      summary: { event: 'push', delivery: 'audit-delivery-1' },
    });
    const deploy = entries.find((e) => e.operation.id === 'pipelineDeploy');
    expect(deploy).toMatchObject({
      actor: { name: 'pipeline:auditpipe', kind: 'system', onBehalfOf: expect.stringContaining(run.author) as string },
      target: { app: 'auditpipe', env: 'local', object: { revision: '1' } },
      outcome: { kind: 'ok' },
      summary: { commit },
    });
    const setPipeline = entries.find((e) => e.operation.id === 'setPipeline');
    expect(JSON.stringify(setPipeline)).not.toContain(HOOK_SECRET);
    expect(JSON.stringify(entries)).not.toContain(HOOK_SECRET);
    const verify = await berth.cli(['audit', 'verify']);
    expect(verify.code, verify.stderr).toBe(0);
  }, 90_000);
});
