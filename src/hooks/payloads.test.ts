/**
 * Payloads read into the pipelines' events, from the providers' own samples (test/fixtures/webhooks/)
 * and edits of them: GitLab tag pushes and deleted branches, SHA-256 repositories, Gitea's
 * `synchronized`, actions Berth does not act on, and the field a bad payload lacks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readPayload } from './payloads.js';
import { ValidationError } from '../errors.js';

const sample = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/webhooks/${path}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

describe('webhook payloads', () => {
  it('acts on a GitLab merge request update with new commits only (its oldrev), not on a title or label edit', () => {
    const mr = sample('gitlab/merge_request.json');
    const attrs = mr.object_attributes as Record<string, unknown>;
    const edited = { ...mr, object_attributes: { ...attrs, action: 'update' } };
    expect(readPayload('gitlab', 'pull_request', 'u1', edited)).toEqual({
      kind: 'ignored',
      reason: 'merge request updated without new commits (no object_attributes.oldrev)',
    });
    const pushed = { ...mr, object_attributes: { ...attrs, action: 'update', oldrev: 'a'.repeat(40) } };
    expect(readPayload('gitlab', 'pull_request', 'u2', pushed)).toMatchObject({
      kind: 'pull_request',
      event: { action: 'updated', number: 1, commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' },
    });
  });

  it('reads a GitLab tag push without a branch, and a deleted GitLab branch without a commit', () => {
    const tag = { ...sample('gitlab/push.json'), ref: 'refs/tags/v1.0.0' };
    expect(readPayload('gitlab', 'push', 'd1', tag)).toMatchObject({
      kind: 'push',
      event: { ref: 'refs/tags/v1.0.0', deleted: false, commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' },
    });
    const read = readPayload('gitlab', 'push', 'd1', tag);
    expect(read.kind === 'push' && read.event.branch).toBe(undefined);
    const deleted = { ...sample('gitlab/push.json'), after: '0'.repeat(40), checkout_sha: null };
    const gone = readPayload('gitlab', 'push', 'd2', deleted);
    expect(gone).toMatchObject({ kind: 'push', event: { branch: 'master', deleted: true } });
    expect(gone.kind === 'push' && 'commit' in gone.event).toBe(false);
  });

  it('takes commit ids of SHA-256 repositories, lower-cased', () => {
    const after = 'AB'.repeat(32);
    const read = readPayload('gitea', 'push', 'd3', { ...sample('gitea/push.json'), after });
    expect(read).toMatchObject({ kind: 'push', event: { commit: after.toLowerCase(), branch: 'develop' } });
  });

  it("reads Gitea's synchronized as updated and ignores actions Berth does not act on", () => {
    const pr = sample('gitea/pull_request-merged.json');
    expect(readPayload('gitea', 'pull_request', 'd4', { ...pr, action: 'synchronized' })).toMatchObject({
      kind: 'pull_request',
      event: { action: 'updated', merged: false, number: 4 },
    });
    expect(
      readPayload('github', 'pull_request', 'd5', { ...sample('github/pull_request-opened.json'), action: 'labeled' }),
    ).toEqual({
      kind: 'ignored',
      reason: 'pull_request action labeled is not one Berth acts on',
    });
  });

  it('names the field a payload lacks or gets wrong', () => {
    const problem = (f: () => unknown): unknown => {
      try {
        f();
      } catch (err) {
        if (err instanceof ValidationError) return err.problems[0];
        throw err;
      }
      return undefined;
    };
    const mr = sample('gitlab/merge_request.json');
    const attrs = { ...(mr.object_attributes as Record<string, unknown>), iid: 'one' };
    expect(problem(() => readPayload('gitlab', 'pull_request', 'd6', { ...mr, object_attributes: attrs }))).toEqual({
      file: 'request body',
      path: 'object_attributes.iid',
      message: 'is missing or not a positive integer',
    });
    expect(problem(() => readPayload('github', 'push', 'd7', [1, 2]))).toMatchObject({
      path: '',
      message: 'must be a JSON object',
    });
    expect(problem(() => readPayload('github', 'push', 'd8', { ...sample('github/push.json'), ref: 7 }))).toMatchObject(
      {
        path: 'ref',
        message: 'is not a non-empty string',
      },
    );
    // Own keys only: an inherited `ref` is not the payload's.
    expect(
      problem(() => readPayload('github', 'push', 'd9', Object.create({ ref: 'refs/heads/main' }) as object)),
    ).toMatchObject({
      path: 'ref',
      message: 'is missing',
    });
  });
});
