import { fireEvent, screen } from '@testing-library/react';
import { Button, Popconfirm, Tooltip } from 'antd';
import { describe, expect, it } from 'vitest';
import { renderAt } from '../test/render';
import { Guarded } from '../components/Guarded';
import { AccessContext, can, type Me } from './useAccess';
import { BUILTIN_ROLES, type Grant } from '../../../src/model/access.js';

function grant(role: string, app = '*', env = '*'): Grant {
  return { role, permissions: [...BUILTIN_ROLES.get(role)!], app, env };
}

/** A user who may read everywhere and work as a developer in `test` only. */
const dev: Me = {
  name: 'dana',
  kind: 'user',
  groups: [],
  via: 'session',
  credential: 'session:1',
  tokenScopes: null,
  grants: [grant('viewer'), grant('developer', '*', 'test')],
  signedInWith: 'password',
};

function actions(me: Me | undefined, env: string) {
  const buttons = (
    <>
      <Guarded need="apps:deploy" app="shop" env={env}>
        <Button data-testid="deploy">Deploy</Button>
      </Guarded>
      <Guarded need="config:write" app="shop" env={env}>
        <Button data-testid="save">Save</Button>
      </Guarded>
      <Guarded need="secrets:reveal" app="shop" env={env} hide>
        <Button data-testid="reveal">Reveal</Button>
      </Guarded>
      <Guarded need="environments:write" anywhere>
        <Button data-testid="new-env">New</Button>
      </Guarded>
    </>
  );
  return me === undefined ? buttons : <AccessContext.Provider value={me}>{buttons}</AccessContext.Provider>;
}

describe('permission-aware actions', () => {
  it('decides with the server’s rule: a developer in test deploys there, not in local', () => {
    expect(can(dev, 'apps:deploy', { app: 'shop', env: 'test' })).toBe(true);
    expect(can(dev, 'apps:deploy', { app: 'shop', env: 'local' })).toBe(false);
    expect(can(dev, 'apps:read', { app: 'shop', env: 'local' })).toBe(true);
    expect(can(dev, 'secrets:reveal', { app: 'shop', env: 'test' })).toBe(false);
    expect(can(undefined, 'system:shutdown')).toBe(true);
  });

  it('disables what the user may not do with the reason, hides what makes no sense disabled', () => {
    renderAt(actions(dev, 'local'), '/');
    expect(screen.getByTestId('deploy').hasAttribute('disabled')).toBe(true);
    expect(screen.getByTestId('save').hasAttribute('disabled')).toBe(true);
    const denied = document.querySelector('[data-denied="apps:deploy"]');
    expect(denied?.getAttribute('data-reason')).toBe('Needs apps:deploy on shop in local');
    expect(document.querySelector('[data-denied="config:write"]')?.getAttribute('data-reason')).toBe(
      'Needs config:write on shop in local',
    );
    expect(screen.queryByTestId('reveal')).toBeNull();
    expect(document.querySelector('[data-denied="environments:write"]')?.getAttribute('data-reason')).toBe(
      'Needs environments:write',
    );
  });

  it('leaves enabled what the user may do', () => {
    renderAt(actions(dev, 'test'), '/');
    expect(screen.getByTestId('deploy').hasAttribute('disabled')).toBe(false);
    expect(screen.getByTestId('save').hasAttribute('disabled')).toBe(false);
    expect(document.querySelector('[data-denied]')?.getAttribute('data-denied')).toBe('environments:write');
  });

  it('counts a scoped token’s narrowing as the server answers it (grants already narrowed)', () => {
    const scoped: Me = { ...dev, via: 'token', tokenScopes: ['apps:read'], grants: [grant('viewer')] };
    renderAt(actions(scoped, 'test'), '/');
    expect(screen.getByTestId('deploy').hasAttribute('disabled')).toBe(true);
  });

  it('disables nothing where the caller is not known (the server still decides)', () => {
    renderAt(actions(undefined, 'local'), '/');
    expect(screen.getByTestId('deploy').hasAttribute('disabled')).toBe(false);
    expect(screen.getByTestId('reveal')).toBeTruthy();
  });

  it('hands a wrapper’s props on to the control when allowed (a Popconfirm opens, a Tooltip shows)', async () => {
    renderAt(
      <AccessContext.Provider value={dev}>
        <Popconfirm title="Really close?">
          <Guarded need="previews:read" app="shop">
            <Button data-testid="close">Close</Button>
          </Guarded>
        </Popconfirm>
        <Tooltip title="What containers mean">
          <Guarded need="apps:deploy" app="shop" env="test">
            <Button data-testid="mode">Mode</Button>
          </Guarded>
        </Tooltip>
      </AccessContext.Provider>,
      '/',
    );
    fireEvent.click(screen.getByTestId('close'));
    await screen.findByText('Really close?');
    fireEvent.mouseEnter(screen.getByTestId('mode'));
    await screen.findByText('What containers mean');
  });
});
