import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { answerFetch, renderAt } from '../test/render';
import { AccessContext, type Me } from '../auth/useAccess';
import AccessPage from './Page';
import { Approvals } from '../approvals/Approvals';
import { BUILTIN_ROLES, type Grant, type Permission } from '../../../src/model/access.js';
import type { ApprovalRequest } from '../api/types';

afterEach(() => vi.unstubAllGlobals());

const everywhere = (role: string, permissions: readonly Permission[]): Grant => ({
  role,
  permissions: [...permissions],
  app: '*',
  env: '*',
});

function user(name: string, grants: Grant[]): Me {
  return { name, kind: 'user', groups: [], via: 'session', credential: 'session:1', tokenScopes: null, grants };
}

/** A viewer; an auditor who reads users and roles but changes neither. */
const vera = user('vera', [everywhere('viewer', BUILTIN_ROLES.get('viewer')!)]);
const audrey = user('audrey', [everywhere('auditor', ['users:read', 'roles:read'])]);

const asked = (fetch: ReturnType<typeof vi.fn>): string[] => fetch.mock.calls.map((c) => String(c[0]).split('?')[0]!);

function signedIn(me: Me, page: React.ReactNode) {
  return <AccessContext.Provider value={me}>{page}</AccessContext.Provider>;
}

describe('the Access and Approvals pages decide with useAccess, as every other page', () => {
  it('says a tab needs a permission in disabledReason’s words, without a GET /api/v1/me of its own', async () => {
    const fetch = answerFetch({});
    renderAt(signedIn(vera, <AccessPage />), '/access');
    const notice = await screen.findByText('Needs users:read');
    expect(notice.closest('[data-denied]')?.getAttribute('data-denied')).toBe('users:read');
    expect(screen.getByTestId('signed-in-as').textContent).toBe('Signed in as vera');
    expect(asked(fetch)).toEqual([]);
  });

  it('disables through Guarded what the caller may read but not change, naming the permission', async () => {
    const fetch = answerFetch({
      '/api/v1/roles': [{ name: 'viewer', builtin: true, permissions: ['apps:read'], description: null }],
      '/api/v1/role-bindings': [],
    });
    renderAt(signedIn(audrey, <AccessPage />), '/access?tab=roles');
    await screen.findByText('viewer');
    expect(screen.getByTestId('new-role').hasAttribute('disabled')).toBe(true);
    expect(document.querySelector('[data-denied="roles:write"]')?.getAttribute('data-reason')).toBe(
      'Needs roles:write',
    );
    expect(asked(fetch)).toEqual(['/api/v1/roles']);
  });

  it('gives an approval’s buttons the reason useAccess words, and asks /me no more', async () => {
    const request: ApprovalRequest = {
      kind: 'approval',
      id: 7,
      action: 'deploy',
      app: 'shop',
      env: 'prod',
      request: {},
      author: 'lead',
      reason: 'ship it',
      required: 1,
      state: 'pending',
      approvals: [],
      createdAt: '2026-12-06T10:00:00Z',
      expiresAt: '2026-12-07T10:00:00Z',
      updatedAt: '2026-12-06T10:00:00Z',
      endedBy: null,
      endReason: null,
      result: null,
      error: null,
    };
    const fetch = answerFetch({ '/api/v1/approvals': [request] });
    renderAt(signedIn(vera, <Approvals />), '/approvals');
    const approve = await screen.findByTestId('approve-7');
    expect(approve.hasAttribute('disabled')).toBe(true);
    fireEvent.mouseEnter(approve.closest('.ant-space')!);
    await waitFor(() => expect(screen.getByText('Needs approvals:approve on shop in prod')).toBeTruthy());
    expect(asked(fetch)).toEqual(['/api/v1/approvals']);
  });
});
