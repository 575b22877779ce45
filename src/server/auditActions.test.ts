/**
 * A pipeline's deploy step is recorded in the audit log as the control plane acting for the run's
 * author: made (with the revision) or refused (with the error), into a real audit table.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/store.js';
import { AuditLog } from '../audit/auditLog.js';
import { ConflictError } from '../errors.js';
import type { PipelineDeployer } from '../pipelines/stepPorts.js';
import { auditedDeployer } from './auditActions.js';

describe('a pipeline deploy step in the audit log', () => {
  let home: string;
  let store: Store;
  let log: AuditLog;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'berth-audit-actions-'));
    store = await openStore({ file: join(home, 'berth.db') });
    log = new AuditLog(store.sqlite, join(home, 'audit.head'));
  });
  afterAll(async () => {
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  let refuse = false;
  const engine: PipelineDeployer = {
    async deploy(req) {
      if (refuse) throw new ConflictError(`another operation runs on ${req.app} in ${req.env}`);
      return { releaseId: 9, revision: 4, env: req.env };
    },
    async find() {
      return undefined;
    },
    async wait() {
      return { status: 'succeeded' };
    },
  };
  const req = {
    app: 'shop',
    env: 'prod',
    specFile: '/checkout/berth.yaml',
    author: 'alice',
    message: 'pipeline run 3, step deploy-prod',
    commit: 'abc123',
    signal: new AbortController().signal,
  };

  it('records a deploy made on behalf of the run author, and one refused', async () => {
    const d = auditedDeployer(engine, log);
    expect(await d.deploy(req)).toMatchObject({ revision: 4 });
    refuse = true;
    await expect(d.deploy(req)).rejects.toThrow(/another operation/);
    const [refused, made] = log.query({}, 10).entries;
    expect(made).toMatchObject({
      actor: { name: 'pipeline:shop', kind: 'system', onBehalfOf: 'alice' },
      operation: { id: 'pipelineDeploy' },
      target: { app: 'shop', env: 'prod', object: { revision: '4' } },
      outcome: { kind: 'ok' },
      summary: { commit: 'abc123', message: 'pipeline run 3, step deploy-prod' },
    });
    expect(refused).toMatchObject({ outcome: { kind: 'refused', status: 409, code: 'CONFLICT' } });
    expect((await log.verify()).ok).toBe(true);
  });
});
