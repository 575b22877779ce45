import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Route, Routes } from 'react-router-dom';
import { answerFetch, renderAt } from '../test/render';
import { SignIn } from './SignIn';
import { adoptTokenFromFragment, getToken } from './token';

function page() {
  return (
    <Routes>
      <Route path="/signin" element={<SignIn />} />
      <Route path="/" element={<div>signed in</div>} />
    </Routes>
  );
}

describe('sign-in', () => {
  it('refuses a wrong token with the API’s message and keeps nothing', async () => {
    const fetch = answerFetch({
      '/api/v1/info': [401, { code: 'UNAUTHORIZED', message: 'a valid token is required' }],
    });
    renderAt(page(), '/signin');
    fireEvent.change(screen.getByTestId('token'), { target: { value: 'wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('a valid token is required'));
    expect(getToken()).toBeNull();
    expect((fetch.mock.calls[0]![1] as RequestInit).headers).toEqual({ authorization: 'Bearer wrong' });
  });

  it('keeps a good token in sessionStorage and goes on', async () => {
    answerFetch({ '/api/v1/info': { version: '0.1.0' } });
    renderAt(page(), '/signin');
    fireEvent.change(screen.getByTestId('token'), { target: { value: ' good-token ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByText('signed in');
    expect(getToken()).toBe('good-token');
  });

  it('takes a token from the #token= fragment and removes it from the address', () => {
    window.history.replaceState(null, '', '/apps/shop/local/services#token=abc%2Fdef');
    expect(adoptTokenFromFragment()).toBe(true);
    expect(getToken()).toBe('abc/def');
    expect(window.location.hash).toBe('');
    expect(window.location.pathname).toBe('/apps/shop/local/services');
    expect(adoptTokenFromFragment()).toBe(false);
  });
});
