/**
 * berth.yaml's `build:` of a service (issue 17 point 2): an image built from a Dockerfile (`context`,
 * `dockerfile`, `args`, `target`) for a container service, or a command whose output folder becomes a
 * process service's code (`command`, `output`). Parsed into the model's BuildSpec; docs/builds.md.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import type { BuildSpec } from '../model/build.js';
import { scalarText } from './fields.js';

const BUILD_ARG = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A relative path that stays inside the folder it is relative to (`..` and absolute paths refused). */
function insideProblem(p: string, notItself: boolean): string | undefined {
  if (posix.isAbsolute(p)) return 'must be a relative path';
  const n = posix.normalize(p);
  if (n === '..' || n.startsWith('../')) return 'must stay inside its folder (no `..` going out of it)';
  if (notItself && (n === '.' || n === './')) return 'must be a folder inside it, not the folder itself';
  return undefined;
}

const relativeInside = (what: string, notItself = false) =>
  z
    .string()
    .min(1, 'must not be empty')
    .superRefine((p, ctx) => {
      const problem = insideProblem(p, notItself);
      if (problem) ctx.addIssue({ code: 'custom', message: `${what} ${problem}` });
    });

export const buildSchema = z
  .strictObject({
    context: z
      .string()
      .min(1, 'must not be empty')
      .optional()
      .describe('Image build: the build context folder, relative to the berth.yaml folder. Default `.`.'),
    dockerfile: relativeInside('the Dockerfile')
      .optional()
      .describe('Image build: the Dockerfile, relative to `context` and inside it. Default `Dockerfile`.'),
    args: z
      .record(z.string().regex(BUILD_ARG, 'build argument names are letters, digits and `_`'), scalarText)
      .optional()
      .describe('Image build: build arguments (`--build-arg NAME=VALUE`).'),
    target: z
      .string()
      .min(1, 'must not be empty')
      .optional()
      .describe('Image build: the stage of a multi-stage Dockerfile to build.'),
    command: z
      .string()
      .min(1, 'must not be empty')
      .optional()
      .describe("Command build: a shell string run by `/bin/sh -c` in the service's `cwd` (`npm run build`)."),
    output: relativeInside('the output folder', true)
      .optional()
      .describe(
        "Command build: the folder the command leaves, relative to the service's `cwd` and inside it; the service runs in its snapshot.",
      ),
  })
  .check((ctx) => {
    const b = ctx.value;
    const issue = (message: string, path: string) =>
      ctx.issues.push({ code: 'custom', message, input: b, path: [path] });
    if (b.command !== undefined) {
      if (b.output === undefined) issue('a command build needs `output`: the folder the service runs from', 'command');
      for (const k of ['context', 'dockerfile', 'args', 'target'] as const)
        if (b[k] !== undefined)
          issue(`\`${k}\` is for an image build: a command build has \`command\` and \`output\``, k);
    } else if (b.output !== undefined) issue('`output` is for a command build: add `command`', 'output');
  })
  .transform((b): BuildSpec =>
    b.command !== undefined
      ? { kind: 'command', command: b.command, output: posix.normalize(b.output!).replace(/\/+$/, '') }
      : {
          kind: 'image',
          context: b.context ?? '.',
          dockerfile: b.dockerfile ?? 'Dockerfile',
          args: b.args ?? {},
          ...(b.target === undefined ? {} : { target: b.target }),
        },
  )
  .optional()
  .describe(
    'How the service is built (`berth build`): an image from a Dockerfile (`context`, `dockerfile`, `args`, `target`) for a container service, or `command` and its `output` folder for a process service. A deploy runs the newest successful build (docs/builds.md).',
  );

/** Whether `build` (as written, or parsed) is an image build: one without `command`. */
export function isImageBuild(build: unknown): boolean {
  return typeof build === 'object' && build !== null && !('command' in build);
}

/**
 * What `build:` asks of the service it is in, as problems on the raw service: a command build makes a
 * process's code (the service needs `command` and cannot `runAs: container`); an image build makes a
 * container's image (the service cannot have `command` unless it says `runAs: container`).
 */
export function buildProblems(s: Partial<Record<string, unknown>>): { message: string; path: string[] }[] {
  const b = s.build;
  if (typeof b !== 'object' || b === null) return [];
  const isCommand = (b as { command?: unknown }).command !== undefined;
  if (isCommand) {
    if (s.command === undefined)
      return [
        {
          message:
            'a command build (`build.command`) makes the code of a process: the service needs `command` to run it',
          path: ['build', 'command'],
        },
      ];
    if (s.runAs === 'container')
      return [
        {
          message:
            'a command build makes the code of a process, not an image: use `context`/`dockerfile` for a container, or remove `runAs: container`',
          path: ['build', 'command'],
        },
      ];
    return [];
  }
  if (s.command !== undefined && s.runAs !== 'container')
    return [
      {
        message:
          'an image build makes the image of a container service: this service runs `command` as a process (remove `command`, say `runAs: container`, or build with `build.command` and `build.output`)',
        path: ['build'],
      },
    ];
  if (s.runAs === 'process')
    return [{ message: 'an image build needs a container service: remove `runAs: process`', path: ['build'] }];
  return [];
}
