/** Turns a zod error into Berth problems, one per issue, each with its field path. */
import type { z } from 'zod';
import type { Problem } from './errors.js';

export function zodProblems(error: z.ZodError, file: string): Problem[] {
  return error.issues.map((issue) => ({
    file,
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}
