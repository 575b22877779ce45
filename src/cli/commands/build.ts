/**
 * `berth build [dir] [SERVICE...]`: builds the services of the app in `dir` that have `build:` (or the
 * ones named) for an environment, streaming the log with each service's prefix, then a summary; a
 * failed build exits non-zero with its log tail (nothing is deployed). `berth builds [APP]` lists them.
 */
import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { envOption } from '../envOption.js';
import { age, dim, printData, printTable, type OutputFormat } from '../output.js';
import { readSpecInput, type SpecInput } from '../specInput.js';
import type { Client } from '../client.js';
import type { BuildSummary, ServiceBuild } from '../../build/buildStore.js';
import { RuntimeError } from '../../errors.js';

/** The app name a berth.yaml text says (the server checks the rest). */
function appOf(text: string): string | undefined {
  return /^name:\s*["']?([a-z0-9-]+)/m.exec(text)?.[1];
}

const short = (d: string | undefined): string => (d ? d.replace(/^sha256:/, '').slice(0, 12) : '');

function summaryRows(services: ServiceBuild[]): Record<string, string>[] {
  return services.map((s) => ({
    service: s.service,
    status: s.status,
    artifact: s.kind === 'image' ? (s.image ?? '') : 'code snapshot',
    digest: short(s.imageDigest ?? s.codeDigest),
  }));
}

/**
 * Starts a build of `spec` and follows it: its log (table output), then a summary table or the build
 * as JSON/YAML. Rejects when it failed, with the failure and the failed services' last lines.
 */
export async function runBuild(
  client: Client,
  spec: SpecInput,
  o: {
    env: string;
    services?: string[];
    commit?: string;
    noCache?: boolean;
    output: OutputFormat;
    /** Where the log and the summary go (`berth up -o json` keeps them off stdout). */
    out?: NodeJS.WritableStream;
  },
): Promise<BuildSummary> {
  const app = appOf(spec.text) ?? '';
  const services = o.services ?? [];
  const started = await client.post<{ id: string; commit: string; services: string[] }>('/api/v1/builds', {
    app,
    env: o.env,
    spec,
    ...(services.length > 0 ? { services } : {}),
    ...(o.commit === undefined ? {} : { commit: o.commit }),
    ...(o.noCache ? { noCache: true } : {}),
  });
  const table = o.output === 'table';
  const out = o.out ?? process.stdout;
  if (table)
    process.stderr.write(
      dim(`build ${started.id} of ${app} for ${o.env} at ${started.commit}: ${started.services.join(', ')}\n`),
    );
  const lines: string[] = [];
  for await (const l of client.lines<{ line: string }>(`/api/v1/builds/${started.id}/log`, { follow: 1 })) {
    if (table) out.write(`${l.line}\n`);
    lines.push(l.line);
    if (lines.length > 200) lines.shift();
  }
  const build = await client.get<BuildSummary>(`/api/v1/builds/${started.id}`);
  if (o.output !== 'table') await printData(o.output, build);
  else {
    out.write('\n');
    printTable(summaryRows(build.services), ['service', 'status', 'artifact', 'digest'], out);
  }
  if (build.status !== 'failed') return build;
  const failed = build.services.filter((s) => s.status === 'failed');
  const tail = lines.filter((l) => failed.some((s) => l.startsWith(`[${s.service}] `))).slice(-20);
  throw new RuntimeError(
    `build ${build.id} failed: ${failed.map((s) => `${s.service} (${s.error ?? 'failed'})`).join(', ')}; nothing was deployed${table ? '' : `\n${tail.join('\n')}`}`,
    { details: { build: build.id, services: failed.map((s) => s.service), logTail: tail } },
  );
}

/** Whether a berth.yaml text has a service with `build:` (then `berth up` builds before it deploys). */
export function hasBuilds(text: string): boolean {
  return /^\s+build:/m.test(text);
}

export function registerBuild(program: Command): void {
  program
    .command('build [dir] [services...]')
    .description(
      "build the services of the app in DIR that have `build:` (or the SERVICES named) for an environment: images with the container engine, tagged <registry>/<app>/<service>:<commit> and pushed to the environment's registry, or a build command whose output the next deploy runs; a service whose context did not change is skipped (docs/builds.md)",
    )
    .addOption(envOption('the environment built for (its registry, its deploys)'))
    .option('--commit <commit>', 'the commit built (default: git HEAD of DIR, `-dirty` when it has changes)')
    .option('--no-cache', 'build even when an earlier build had the same context')
    .action(
      async (
        dir: string | undefined,
        services: string[],
        o: { env: string; commit?: string; cache: boolean },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        await runBuild(await ctx.client(), await readSpecInput(dir), {
          env: o.env,
          services,
          ...(o.commit === undefined ? {} : { commit: o.commit }),
          noCache: !o.cache,
          output: ctx.output,
        });
      },
    );

  program
    .command('builds [app]')
    .description('the builds of an app (every app when omitted), newest first')
    .addOption(envOption('only the builds for this environment', null))
    .option('--limit <n>', 'how many builds (default 20)', (v) => Number(v))
    .action(async (app: string | undefined, o: { env?: string; limit?: number }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const list = await (
        await ctx.client()
      ).get<BuildSummary[]>('/api/v1/builds', { app, env: o.env, limit: o.limit ?? 20 });
      if (ctx.output !== 'table') return printData(ctx.output, list);
      if (list.length === 0) {
        process.stdout.write('no builds\n');
        return;
      }
      printTable(
        list.map((b) => ({
          build: b.id,
          app: b.app,
          env: b.env,
          commit: b.commit.slice(0, 18),
          status: b.status,
          services: b.services.map((s) => `${s.service}:${s.status}`).join(' '),
          age: age(b.startedAt),
        })),
        ['build', 'app', 'env', 'commit', 'status', 'services', 'age'],
      );
    });
}
