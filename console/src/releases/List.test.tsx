import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { message } from '../../../src/model/messages.js';
import { answerFetch, renderAt } from '../test/render';
import ReleasesList from './List';

describe('releases page', () => {
  it('has an empty state when the app has no release, and deploy is off', async () => {
    answerFetch({ '/api/v1/apps/shop/envs/dev/releases': [] });
    renderAt(<ReleasesList />, '/apps/shop/dev/releases', '/apps/:app/:env/releases');
    expect(await screen.findByText(/No releases yet/)).toBeTruthy();
    expect((screen.getByTestId('deploy') as HTMLButtonElement).disabled).toBe(true);
  });

  it('switches to simplified Chinese', async () => {
    const { default: i18n } = await import('../i18n');
    await i18n.changeLanguage('zh-CN');
    try {
      answerFetch({ '/api/v1/apps/shop/envs/dev/releases': [] });
      renderAt(<ReleasesList />, '/apps/shop/dev/releases', '/apps/:app/:env/releases');
      expect(await screen.findByText(/还没有发布/)).toBeTruthy();
      expect(screen.getByText('shop（dev）的发布')).toBeTruthy();
    } finally {
      await i18n.changeLanguage('en');
    }
  });

  it("shows the message of a revision Berth made in simplified Chinese, an author's as written", async () => {
    const { default: i18n } = await import('../i18n');
    const scale = message('revision.scale', { service: 'web', from: 2, to: 4 });
    const at = '2026-03-01T10:00:00.000Z';
    const base = {
      app: 'shop',
      env: 'dev',
      status: 'succeeded',
      reason: null,
      specDigest: 'x',
      specFile: 'berth.yaml',
      configVersion: 1,
      sourceRevision: null,
      rollbackPolicy: 'auto',
      options: {},
      cancelRequest: null,
      author: 'ana',
      createdAt: at,
      startedAt: at,
      finishedAt: at,
      steps: [],
    };
    await i18n.changeLanguage('zh-CN');
    try {
      answerFetch({
        '/api/v1/apps/shop/envs/dev/releases': [
          { ...base, id: 2, revision: 2, kind: 'scale', message: scale.text, messageDetail: scale },
          { ...base, id: 1, revision: 1, kind: 'deploy', message: 'fix the checkout' },
        ],
      });
      renderAt(<ReleasesList />, '/apps/shop/dev/releases', '/apps/:app/:env/releases');
      expect(await screen.findByText('将 web 从 2 个副本扩缩到 4 个')).toBeTruthy();
      expect(screen.getByText('fix the checkout')).toBeTruthy();
      expect(screen.queryByText('scale web from 2 to 4')).toBeNull();
    } finally {
      await i18n.changeLanguage('en');
    }
  });
});
