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
import { auditedDeployer, auditedExecutor } from './auditActions.js';
import type { ApprovalRequest } from '../model/approvals.js';

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

  it('records an approved request run on behalf of its author, naming its approvers', async () => {
    const request = {
      kind: 'approval',
      id: 7,
      action: 'deploy',
      app: 'shop',
      env: 'prod',
      author: 'dev',
      reason: 'release 1.2',
      approvals: [{ name: 'rm', at: '2026-12-06T18:00:00.000Z' }],
    } as unknown as ApprovalRequest;
    const executor = auditedExecutor({ run: async () => ({ revision: 5 }), find: async () => undefined }, log);
    expect(await executor.run(request, {}, '[approval #7, approved by rm]')).toEqual({ revision: 5 });
    const [entry] = log.query({}, 1).entries;
    expect(entry).toMatchObject({
      actor: { name: 'approvals', kind: 'system', onBehalfOf: 'dev' },
      operation: { id: 'approved:deploy' },
      target: { app: 'shop', env: 'prod', object: { approval: '7', revision: '5' } },
      outcome: { kind: 'ok' },
      summary: { approval: 7, approvedBy: ['rm'], reason: 'release 1.2' },
    });
    expect((await log.verify()).ok).toBe(true);
  });
});
