/**
 * A service's config files in berth.yaml (`files:`): path under $BERTH_CONFIG_DIR, inline content or a
 * config-set file, and where a container also sees it (`mountPath`).
 */
import { z } from 'zod';
import { filePathConflicts, filePathProblem, mountPathConflicts, mountPathProblem } from './filePaths.js';

/** Checks a list even when some of its items have problems of their own. */
const evenWithProblems = { when: (payload: { value: unknown }) => Array.isArray(payload.value) };

const file = z
  .strictObject({
    path: z
      .string()
      .min(1, 'must not be empty')
      .superRefine((p, ctx) => {
        const message = p === '' ? undefined : filePathProblem(p);
        if (message) ctx.addIssue({ code: 'custom', message });
      })
      .describe("Path relative to the service's config directory ($BERTH_CONFIG_DIR), e.g. `app.conf`."),
    content: z
      .string()
      .optional()
      .describe(
        'File content; may use `${VARIABLES}` and per-replica values `{{ replica.port }}`, `{{ replica.port.<name> }}`, `{{ replica.index }}`, `{{ replica.configDir }}` (`{{{{` is a literal `{{`). A file using a secret is written with mode 0600.',
      ),
    fromConfig: z
      .string()
      .min(1, 'must not be empty')
      .optional()
      .describe(
        "Take the content from this file of the environment's config set (`berth config set --file NAME=LOCAL`), versioned with it; a secret file stays secret.",
      ),
    mountPath: z
      .string()
      .superRefine((p, ctx) => {
        const message = mountPathProblem(p);
        if (message) ctx.addIssue({ code: 'custom', message });
      })
      .optional()
      .describe(
        "An absolute path where a container also sees the file, read-only (`/etc/nginx/nginx.conf`; compose's config or secret `target`). A process reads it under $BERTH_CONFIG_DIR only.",
      ),
  })
  .refine((f) => (f.content === undefined) !== (f.fromConfig === undefined), {
    message: 'a file needs `content` or `fromConfig` (one of them)',
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });

export const filesSchema = z
  .array(file)
  .superRefine((list, ctx) => {
    const paths = list.map((f) => (typeof f?.path === 'string' ? f.path : undefined));
    filePathConflicts(paths).forEach((message, i) => {
      if (message) ctx.addIssue({ code: 'custom', message, path: [i, 'path'] });
    });
    const mounts = list.map((f) => (typeof f?.mountPath === 'string' ? f.mountPath : undefined));
    mountPathConflicts(mounts).forEach((message, i) => {
      if (message) ctx.addIssue({ code: 'custom', message, path: [i, 'mountPath'] });
    });
  }, evenWithProblems)
  .default([])
  .describe('Config files written for the service before it starts.');
