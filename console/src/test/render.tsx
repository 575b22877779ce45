// Renders a console page the way main.tsx does, at a given address, with fetch answered by a table.
import type { ReactNode } from 'react';
import { render } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { vi } from 'vitest';
import { App } from '../App';

/** path (without query) → JSON body, or [status, body]. Unknown paths answer 404. */
export type Answers = Record<string, unknown>;

/** Replaces fetch with one that answers from `answers` and records every call. */
export function answerFetch(answers: Answers): ReturnType<typeof vi.fn> {
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const path = url.split('?')[0]!;
    const key = `${init?.method ?? 'GET'} ${path}`;
    const found = Object.hasOwn(answers, key) ? answers[key] : Object.hasOwn(answers, path) ? answers[path] : undefined;
    if (found === undefined)
      return new Response(JSON.stringify({ code: 'NOT_FOUND', message: `no ${key}` }), { status: 404 });
    const [status, body] =
      Array.isArray(found) && typeof found[0] === 'number' ? (found as [number, unknown]) : [200, found];
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

/** Renders `element` at `path` (route pattern `pattern`), inside the console's providers. */
export function renderAt(element: ReactNode, path: string, pattern = '*') {
  return render(
    <App>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={pattern} element={element} />
          <Route path="*" element={null} />
        </Routes>
      </MemoryRouter>
    </App>,
  );
}
