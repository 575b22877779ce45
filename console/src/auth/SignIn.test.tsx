import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { Route, Routes } from 'react-router-dom';
import { answerFetch, renderAt } from '../test/render';
import { SignIn } from './SignIn';
import { adoptTokenFromFragment, getCsrf, getToken, maySessionBeOpen } from './token';

function page() {
  return (
    <Routes>
      <Route path="/signin" element={<SignIn />} />
      <Route path="/" element={<div>signed in</div>} />
    </Routes>
  );
}

function openTokenTab(): void {
  fireEvent.click(screen.getByRole('tab', { name: 'API token' }));
}

function signInWith(user: string, password: string): void {
  fireEvent.change(screen.getByTestId('user'), { target: { value: user } });
  fireEvent.change(screen.getByTestId('password'), { target: { value: password } });
  fireEvent.click(screen.getByTestId('password-submit'));
}

describe('sign-in with a password', () => {
  it('opens a session: keeps only its CSRF token, in memory, and never the password', async () => {
    const fetch = answerFetch({
      'POST /api/v1/session': { name: 'dana', kind: 'user', groups: [], via: 'session', csrf: 'c-1', expiresAt: 'x' },
    });
    renderAt(page(), '/signin');
    signInWith(' dana ', 's3cret-pass');
    await screen.findByText('signed in');
    const call = fetch.mock.calls.find((c) => String(c[0]) === '/api/v1/session')!;
    expect(JSON.parse(String((call[1] as RequestInit).body))).toEqual({ user: 'dana', password: 's3cret-pass' });
    expect(getCsrf()).toBe('c-1');
    expect(maySessionBeOpen()).toBe(true);
    expect(getToken()).toBeNull();
    const stored = JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage });
    expect(stored).not.toContain('s3cret-pass');
    expect(stored).not.toContain('c-1');
  });

  it('says a wrong password plainly and stays on the page', async () => {
    answerFetch({ 'POST /api/v1/session': [401, { code: 'UNAUTHORIZED', message: 'wrong user name or password' }] });
    renderAt(page(), '/signin');
    signInWith('dana', 'nope');
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('Wrong user name or password'));
    expect(maySessionBeOpen()).toBe(false);
  });

  it('says how long to wait after too many attempts (Retry-After)', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL) =>
        String(input) === '/api/v1/session'
          ? new Response(JSON.stringify({ code: 'RATE_LIMITED', message: 'too many' }), {
              status: 429,
              headers: { 'retry-after': '37' },
            })
          : new Response('{}', { status: 404 }),
      ),
    );
    renderAt(page(), '/signin');
    signInWith('dana', 'nope');
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('Too many attempts, try again in 37 s'));
  });

  it('offers single sign-on when the control plane has it, back to the page asked for', async () => {
    answerFetch({ '/api/v1/sso': { enabled: true } });
    renderAt(page(), '/signin?to=%2Fapps%2Fshop%2Ftest%2Fconfig');
    const sso = await screen.findByTestId('sso');
    expect(sso.getAttribute('href')).toBe('/api/v1/sso/login?to=%2Fapps%2Fshop%2Ftest%2Fconfig');
  });

  it('offers no single sign-on when the control plane has none, and shows an unknown SSO failure by its code', async () => {
    answerFetch({ '/api/v1/sso': { enabled: false } });
    renderAt(page(), '/signin?error=access_denied');
    expect(screen.getByTestId('sso-error').textContent).toContain('Single sign-on failed (access_denied)');
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId('sso')).toBeNull();
  });

  it('says a known SSO failure in words, and forgets the session it did not open', async () => {
    localStorage.setItem('berth.session', '1');
    answerFetch({ '/api/v1/sso': { enabled: true } });
    renderAt(page(), '/signin?error=sso_expired');
    expect(screen.getByTestId('sso-error').textContent).toBe(
      'The identity provider’s answer had expired (check the clocks). Sign in again, or ask an administrator.',
    );
    await waitFor(() => expect(maySessionBeOpen()).toBe(false));
  });

  it('looks for the session the provider’s redirect back opens (its cookie is all the page gets)', async () => {
    answerFetch({ '/api/v1/sso': { enabled: true } });
    renderAt(page(), '/signin');
    const sso = await screen.findByTestId('sso');
    sso.addEventListener('click', (e) => e.preventDefault()); // jsdom does not navigate
    fireEvent.click(sso);
    expect(maySessionBeOpen()).toBe(true);
    expect(getToken()).toBeNull();
  });
});

describe('sign-in with the API token', () => {
  it('refuses a wrong token with the API’s message and keeps nothing', async () => {
    const fetch = answerFetch({
      '/api/v1/info': [401, { code: 'UNAUTHORIZED', message: 'a valid token is required' }],
    });
    renderAt(page(), '/signin');
    openTokenTab();
    fireEvent.change(screen.getByTestId('token'), { target: { value: 'wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('a valid token is required'));
    expect(getToken()).toBeNull();
    const info = fetch.mock.calls.find((c) => String(c[0]) === '/api/v1/info')!;
    expect((info[1] as RequestInit).headers).toEqual({ authorization: 'Bearer wrong' });
  });

  it('keeps a good token in sessionStorage and goes on', async () => {
    answerFetch({ '/api/v1/info': { version: '0.1.0' } });
    renderAt(page(), '/signin');
    openTokenTab();
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
