/**
 * docker-compose → berth.yaml: load the compose file with positions, interpolate it as compose
 * does, check it, map each key (one mapper per concern), and produce berth.yaml, the config-set
 * script and the report. The berth.yaml is loaded with parseSpec before it is returned, so what is
 * written always loads.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Problem } from '../errors.js';
import { parseSpec } from '../spec/load.js';
import type { LoadedSpec } from '../spec/load.js';
import { APP_NAME } from '../spec/schema.js';
import { reservedNames } from '../spec/shadowing.js';
import { parseCompose } from './composeFile.js';
import { interpolateCompose } from './composeInterpolate.js';
import type { Lookup } from './composeInterpolate.js';
import { validateCompose } from './composeSchema.js';
import type { ImportContext, ServiceContext } from './context.js';
import { dotenvValues, parseDotenv } from './dotenv.js';
import { configScript, specText } from './emit.js';
import { commandWords, mapCommand, rewriteCommandRefs } from './mapCommand.js';
import { collectWaits, mapDependsOn } from './mapDependsOn.js';
import { mapDeploy } from './mapDeploy.js';
import { collectEnv, inferPorts, mapEnvironments } from './mapEnvironment.js';
import type { EnvItem } from './mapEnvironment.js';
import { mapFiles } from './mapFiles.js';
import { mapHealthcheck } from './mapHealthcheck.js';
import { mapPorts } from './mapPorts.js';
import { mapRoutes } from './mapRoutes.js';
import { mapTopLevelVolumes, mapVolumes } from './mapVolumes.js';
import { reportHealthcheckMounts } from './healthcheckMounts.js';
import { addImagePorts, markAppProtocols } from './mapAppProtocol.js';
import { decideJobs } from './mapJobs.js';
import { appName, serviceNames } from './names.js';
import { MAPPED_SERVICE_KEYS, TOP_LEVEL_KEYS, UNMAPPED_SERVICE_KEYS } from './otherKeys.js';
import { Report } from './report.js';
import type { ReportEntry } from './report.js';
import { Variables } from './variables.js';
import type { ImportedVariable } from './variables.js';

/** What to import and where the result will live. */
export interface ImportInput {
  /** The compose file. */
  file: string;
  /** Its text; read from `file` when absent. */
  text?: string;
  /** Where berth.yaml will be written: `cwd` paths are relative to its folder. Default: beside the compose file. */
  outFile?: string;
  /** The .env file for interpolation (`--env-file`); default `.env` beside the compose file, if there is one. */
  envFile?: string;
  /** The environment compose interpolates from. Default: process.env. */
  environment?: Record<string, string | undefined>;
  /** App name; default compose's `name`, else the compose file's folder. */
  app?: string;
  /** Add liveness probes from healthchecks too. */
  liveness?: boolean;
  /** Write non-secret values as variable defaults in berth.yaml instead of the config set. */
  defaults?: boolean;
}

/** Everything an import produced. */
export interface ImportResult {
  app: string;
  /** berth.yaml text, already loaded with parseSpec. */
  specText: string;
  spec: LoadedSpec;
  /** The config-set script (`sh berth.config.sh --env E`), undefined when there is nothing to set. */
  configScript: string | undefined;
  variables: ImportedVariable[];
  /** Every mapped, changed, unmapped and ignored compose key, in file order. */
  report: ReportEntry[];
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

function fail(message: string, problems: Problem[]): never {
  throw new ValidationError(message, problems);
}

/** The interpolation environment: the process environment over the .env file, as in compose. */
async function environmentOf(input: ImportInput, composeDir: string): Promise<Lookup> {
  const env = input.environment ?? process.env;
  const envPath = input.envFile ? path.resolve(input.envFile) : path.join(composeDir, '.env');
  const text = await readText(envPath);
  if (text === undefined && input.envFile)
    fail(`${input.envFile} does not exist`, [{ file: input.envFile, path: '', message: 'no such env file' }]);
  if (text === undefined) return (name) => env[name];
  const parsed = parseDotenv(text, input.envFile ?? envPath, (name) => env[name]);
  if (parsed.problems.length)
    fail(`${input.envFile ?? envPath} has ${parsed.problems.length} problem(s)`, parsed.problems);
  const values = dotenvValues(parsed);
  return (name) => env[name] ?? values.get(name);
}

/** Imports a compose file; throws ValidationError (with file:line:col) for an invalid one. */
export async function importCompose(input: ImportInput): Promise<ImportResult> {
  const file = input.file;
  const text = input.text ?? (await readText(file));
  if (text === undefined) throw new NotFoundError(`${file} does not exist`, { details: { file } });
  const composeDir = path.dirname(path.resolve(file));
  const outFile = path.resolve(input.outFile ?? path.join(composeDir, 'berth.yaml'));
  const source = path.basename(file);

  const doc = parseCompose(text, file);
  const lookup = await environmentOf(input, composeDir);
  const interpolated = interpolateCompose(doc.data, lookup, file, doc.locate);
  const compose = validateCompose(interpolated.data, file, doc.locate);
  const report = new Report(file, doc.locate);

  const app = input.app ?? appName(compose.name ?? path.basename(composeDir));
  if (!APP_NAME.test(app) || app.length > 40)
    fail('invalid app name', [
      {
        file: 'command line',
        path: 'app',
        message: `\`${app}\` is not an app name (lowercase letters, digits and \`-\`, at most 40)`,
      },
    ]);

  const composeNames = Object.keys(compose.services);
  const names = serviceNames(composeNames);
  const ctx: ImportContext = {
    app,
    file,
    compose,
    composeDir,
    outDir: path.dirname(outFile),
    names,
    report,
    variables: new Variables(reservedNames(names.values())),
    jobs: new Map(),
    volumes: new Map(),
    lookup,
    uses: interpolated.uses,
    problems: [],
    options: { liveness: input.liveness ?? false },
    readText,
  };

  mapTopLevel(ctx, interpolated.data);
  for (const [name, at] of interpolated.unset)
    report.add(
      'changed',
      at,
      `\`\${${name}}\` is not set in the environment or the .env file: compose uses an empty string, and so did the import`,
    );

  const services: ServiceContext[] = [];
  for (const composeName of composeNames) {
    const svc = compose.services[composeName];
    const at = ['services', composeName];
    if (!svc || (!svc.image && (svc.build === undefined || svc.build === null))) {
      ctx.problems.push({
        file,
        ...report.locateOf(at),
        path: at.join('.'),
        message: 'a service needs `image` or `build`',
      });
      continue;
    }
    const s: ServiceContext = {
      ...ctx,
      composeName,
      name: names.get(composeName)!,
      svc,
      path: at,
      out: { env: {}, ports: [], files: [], volumes: [], dependsOn: [], health: {}, resources: {} },
      published: [],
    };
    if (s.name !== composeName)
      report.changed(
        at,
        `services.${s.name}`,
        `renamed: Berth service names are lowercase letters, digits and \`-\`, starting with a letter`,
      );
    services.push(s);
  }

  for (const s of services) {
    mapCommand(s);
    mapPorts(s);
  }
  const envs = new Map<string, EnvItem[]>();
  for (const s of services) envs.set(s.composeName, await collectEnv(s));
  // Who reaches whom: env values, and the words of commands (`-database postgres://db:5432/shop`).
  const referring = new Map<string, EnvItem[]>(
    services.map((s) => [s.composeName, [...(envs.get(s.composeName) ?? []), ...commandWords(s)]]),
  );
  const refs = inferPorts(services, referring);
  addImagePorts(services, refs);
  for (const s of services) markAppProtocols(s);
  const routes = mapRoutes(services);
  const addresses = services.map((s) => ({
    composeName: s.composeName,
    name: s.name,
    ...(s.out.ports[0] ? { primaryPort: s.out.ports[0].port } : {}),
  }));
  mapEnvironments(services, envs, addresses);
  for (const s of services) rewriteCommandRefs(s, addresses);
  for (const s of services) collectWaits(s);
  decideJobs(services, refs);
  const jobs = new Set(services.filter((s) => s.out.kind === 'job').map((s) => s.composeName));
  for (const s of services) mapDependsOn(s, jobs);
  for (const s of services) {
    mapHealthcheck(s);
    mapDeploy(s);
    await mapFiles(s);
    reportHealthcheckMounts(s, await mapVolumes(s));
    mapOtherKeys(s);
  }
  if (ctx.problems.length > 0) {
    const n = ctx.problems.length;
    fail(`${file} cannot be imported (${n} problem${n === 1 ? '' : 's'})`, ctx.problems);
  }

  const variables = ctx.variables.all();
  const defaults = input.defaults ?? false;
  const unmappedOf = (s: ServiceContext) => {
    const keys = report.entries
      .filter((e) => e.status === 'unmapped' && e.key.startsWith(`${s.path.join('.')}.`))
      .map((e) => e.key.slice(s.path.join('.').length + 1));
    const unique = [...new Set(keys)];
    return unique.length > 6 ? [...unique.slice(0, 6), `${unique.length - 6} more`] : unique;
  };
  const out = specText({
    app,
    source,
    variables,
    defaults,
    volumes: [...new Set(ctx.volumes.values())],
    routes,
    services: services.map((s) => ({ name: s.name, out: s.out, unmapped: unmappedOf(s) })),
  });
  let spec: LoadedSpec;
  try {
    spec = parseSpec(out, outFile);
  } catch (err) {
    if (err instanceof ValidationError)
      throw new ValidationError(
        `the berth.yaml made from ${file} does not load (a bug in berth import: please report it with the compose file)`,
        err.problems,
      );
    throw err;
  }
  return {
    app,
    specText: out,
    spec,
    configScript: configScript(app, source, variables, defaults),
    variables,
    report: report.sorted(),
  };
}

function mapTopLevel(ctx: ImportContext, data: Record<string, unknown>): void {
  const { report, compose } = ctx;
  for (const key of Object.keys(data)) {
    if (key.startsWith('x-')) {
      report.ignored([key], 'extension field: its anchors are expanded where they are used');
      continue;
    }
    if (key === 'name') report.mapped(['name'], 'name', ctx.app === compose.name ? '' : `app name \`${ctx.app}\``);
    const known = TOP_LEVEL_KEYS[key];
    if (known) report.add(known.status, [key], known.reason);
  }
  mapTopLevelVolumes(ctx);
  for (const kind of ['configs', 'secrets'] as const)
    for (const name of Object.keys(compose[kind] ?? {})) {
      const users = Object.entries(compose.services)
        .filter(([, s]) => (s?.[kind] ?? []).some((r) => (typeof r === 'string' ? r : r.source) === name))
        .map(([n]) => n);
      if (users.length === 0) report.ignored([kind, name], 'no service uses it');
      else report.mapped([kind, name], `services.*.files`, `used by ${users.join(', ')}: see each service`);
    }
}

function mapOtherKeys(s: ServiceContext): void {
  for (const key of Object.keys(s.svc)) {
    if (MAPPED_SERVICE_KEYS.has(key)) continue;
    const at = [...s.path, key];
    if (key.startsWith('x-')) s.report.ignored(at, 'extension field: its anchors are expanded where they are used');
    else s.report.unmapped(at, UNMAPPED_SERVICE_KEYS[key] ?? 'Berth has no equivalent');
  }
}
