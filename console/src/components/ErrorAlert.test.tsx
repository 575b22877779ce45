import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { ErrorAlert } from './ErrorAlert';

describe('ErrorAlert', () => {
  it('shows the message and every problem with its field path and place', () => {
    const err = new ApiError(400, {
      code: 'VALIDATION',
      message: 'invalid request body',
      problems: [
        { path: 'set.bad key', message: 'invalid key' },
        { file: 'berth.yaml', line: 4, column: 3, path: 'services.web.replicas', message: 'must be a number' },
      ],
    });
    render(<ErrorAlert error={err} />);
    expect(screen.getByRole('alert').textContent).toContain('invalid request body');
    const paths = [...document.querySelectorAll('.problem-path')].map((e) => e.textContent);
    expect(paths).toEqual(['set.bad key', 'services.web.replicas']);
    expect(screen.getByText('(berth.yaml:4:3)')).toBeTruthy();
  });

  it('says the control plane is unreachable for a network failure, and renders nothing without an error', () => {
    const { container, rerender } = render(<ErrorAlert error={undefined} />);
    expect(container.textContent).toBe('');
    rerender(<ErrorAlert error={new ApiError(0, { code: 'UNAVAILABLE', message: 'Failed to fetch' })} />);
    expect(screen.getByRole('alert').textContent).toContain('The control plane cannot be reached: Failed to fetch');
  });
});
