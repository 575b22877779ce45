import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
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
});
