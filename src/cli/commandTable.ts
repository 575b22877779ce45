/**
 * Which file registers which top-level command, so the CLI loads only the one being run: a short
 * command (`berth render`, `berth status`) should not pay for loading the other twelve files.
 */
import type { Command } from 'commander';
import { OUTPUT_FORMATS } from './output.js';

/** Adds one file's commands to the program. */
export type Register = (program: Command) => void;

/**
 * Each command file and the top-level commands it registers, in help order. A command missing here
 * still runs (an unknown name loads every file), only slower; commandTable.test.ts checks the table.
 */
export const COMMANDS: readonly { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ['up', 'down'], load: async () => (await import('./commands/up.js')).registerUp },
  { names: ['plan', 'deploy'], load: async () => (await import('./commands/deploy.js')).registerDeploy },
  {
    names: ['history', 'releases', 'diff', 'rollback'],
    load: async () => (await import('./commands/releases.js')).registerReleases,
  },
  { names: ['status'], load: async () => (await import('./commands/status.js')).registerStatus },
  {
    names: ['scale', 'restart', 'promote', 'abort', 'cancel'],
    load: async () => (await import('./commands/operate.js')).registerOperate,
  },
  { names: ['policy'], load: async () => (await import('./commands/policy.js')).registerPolicy },
  { names: ['volume'], load: async () => (await import('./commands/volume.js')).registerVolume },
  { names: ['jobs'], load: async () => (await import('./commands/jobs.js')).registerJobs },
  { names: ['alerts'], load: async () => (await import('./commands/alerts.js')).registerAlerts },
  { names: ['hooks'], load: async () => (await import('./commands/hooks.js')).registerHooks },
  { names: ['logs'], load: async () => (await import('./commands/logs.js')).registerLogs },
  { names: ['graph'], load: async () => (await import('./commands/graph.js')).registerGraph },
  { names: ['metrics'], load: async () => (await import('./commands/metrics.js')).registerMetrics },
  {
    names: ['trace', 'traces'],
    load: async () => {
      const m = await import('./commands/trace.js');
      return (program) => {
        m.registerTrace(program);
        m.registerTraces(program);
      };
    },
  },
  { names: ['config'], load: async () => (await import('./commands/config.js')).registerConfig },
  { names: ['preview'], load: async () => (await import('./commands/preview.js')).registerPreview },
  { names: ['env'], load: async () => (await import('./commands/env.js')).registerEnv },
  { names: ['validate', 'schema'], load: async () => (await import('./commands/validate.js')).registerValidate },
  { names: ['render'], load: async () => (await import('./commands/render.js')).registerRender },
  { names: ['export'], load: async () => (await import('./commands/export.js')).registerExport },
  { names: ['import'], load: async () => (await import('./commands/import.js')).registerImport },
  { names: ['server'], load: async () => (await import('./commands/server.js')).registerServer },
  { names: ['pipeline'], load: async () => (await import('./commands/pipeline.js')).registerPipeline },
  { names: ['build', 'builds'], load: async () => (await import('./commands/build.js')).registerBuild },
  { names: ['login', 'logout', 'whoami'], load: async () => (await import('./commands/login.js')).registerLogin },
  { names: ['user'], load: async () => (await import('./commands/users.js')).registerUsers },
  { names: ['token'], load: async () => (await import('./commands/tokens.js')).registerTokens },
  { names: ['role'], load: async () => (await import('./commands/roles.js')).registerRoles },
  { names: ['audit'], load: async () => (await import('./commands/audit.js')).registerAudit },
  { names: ['approval'], load: async () => (await import('./commands/approvals.js')).registerApprovals },
];

/** Global options that take a value in the next argument (that value is not the command name). */
const VALUED = new Set(['--home', '--server', '--token', '-o', '--output']);

/** The command named on the command line (its first operand), if any. */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1];
    if (!a.startsWith('-') || a === '-') return a;
    if (VALUED.has(a)) i++;
  }
  return undefined;
}

/** Global options that take no value. */
const FLAGS = new Set(['-V', '--version', '-h', '--help']);

/**
 * Whether the command line misuses a global option: one Berth does not know before the command name
 * (`berth --bogus status`), or an output format that is not one (`-o xml`, anywhere, as commander
 * reads global options anywhere). Commander then prints the program's help, which must list every
 * command, not only the one that was loaded.
 */
export function badGlobalOption(args: readonly string[]): boolean {
  const formats: readonly string[] = OUTPUT_FORMATS;
  let beforeCommand = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    const output = /^(?:-o|--output=)(.+)$/.exec(a)?.[1];
    if (output !== undefined) {
      if (!formats.includes(output)) return true;
      continue;
    }
    if (a === '-o' || a === '--output') {
      if (!formats.includes(args[i + 1] ?? '')) return true;
      i++;
      continue;
    }
    if (!beforeCommand) continue;
    if (!a.startsWith('-') || a === '-') beforeCommand = false;
    else if (VALUED.has(a)) i++;
    else if (!FLAGS.has(a) && !VALUED.has(a.split('=')[0]!)) return true;
  }
  return false;
}

/**
 * The registrations a command line needs: the named command's file, none for `--version` alone, or
 * every file when there is no command, `help`, a name Berth does not know, or a bad global option (so
 * help and "did you mean" suggestions are whole).
 */
export async function registrationsFor(args: readonly string[]): Promise<Register[]> {
  const name = commandName(args);
  if (badGlobalOption(args)) return Promise.all(COMMANDS.map((c) => c.load()));
  // `berth --version` alone prints the version: no command is needed for that.
  if (name === undefined && args.some((a) => a === '--version' || a === '-V')) return [];
  const named = name === undefined ? [] : COMMANDS.filter((c) => c.names.includes(name));
  return Promise.all((named.length > 0 ? named : COMMANDS).map((c) => c.load()));
}

/**
 * The command line as commander reads it. `berth import compose.yml -o berth.yaml` names the file
 * to write, as converters of this kind take it: for `import`, an `-o`/`--output` value that is not
 * an output format becomes `--out` (`-o json` still prints the report as JSON; a file named `json`
 * is `--out json`).
 */
export function normalizedArgs(args: readonly string[]): string[] {
  if (commandName(args) !== 'import') return [...args];
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const inline = /^(?:-o|--output=)(.+)$/.exec(a)?.[1];
    const value = inline ?? (a === '-o' || a === '--output' ? args[i + 1] : undefined);
    if (value === undefined || (OUTPUT_FORMATS as readonly string[]).includes(value)) out.push(a);
    else {
      out.push('--out', value);
      if (inline === undefined) i++;
    }
  }
  return out;
}
