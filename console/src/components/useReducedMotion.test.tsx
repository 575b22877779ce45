import { act, render, screen } from '@testing-library/react';
import { theme } from 'antd';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../App';

/** A matchMedia whose reduced-motion answer the test sets and changes, telling listeners. */
function fakeMedia(initial: boolean): { set(v: boolean): void; restore(): void } {
  const original = window.matchMedia;
  let reduced = initial;
  const listeners = new Set<() => void>();
  window.matchMedia = (query: string) =>
    ({
      get matches() {
        return query === '(prefers-reduced-motion: reduce)' && reduced;
      },
      media: query,
      addEventListener: (_: string, f: () => void) => listeners.add(f),
      removeEventListener: (_: string, f: () => void) => listeners.delete(f),
    }) as unknown as MediaQueryList;
  return {
    set(v) {
      reduced = v;
      for (const f of listeners) f();
    },
    restore() {
      window.matchMedia = original;
    },
  };
}

function Motion() {
  const { token } = theme.useToken();
  return <span data-testid="motion">{String(token.motion)}</span>;
}

let media: ReturnType<typeof fakeMedia> | undefined;
afterEach(() => media?.restore());

describe('the console and prefers-reduced-motion', () => {
  it('turns animations off while the system asks for less motion, and on again when it stops', () => {
    media = fakeMedia(true);
    render(
      <App>
        <Motion />
      </App>,
    );
    expect(screen.getByTestId('motion').textContent).toBe('false');
    act(() => media!.set(false));
    expect(screen.getByTestId('motion').textContent).toBe('true');
  });

  it('keeps them on by default', () => {
    media = fakeMedia(false);
    render(
      <App>
        <Motion />
      </App>,
    );
    expect(screen.getByTestId('motion').textContent).toBe('true');
  });
});
