/**
 * `berth graph APP [--window 15m]`: the call graph from real traffic — each caller → callee the
 * gateway saw in the window with requests, rate, error rate, p50 and p99 — then the declared
 * dependencies never called, each difference from `dependsOn` marked (`-o json|yaml`: the API's answer).
 */
import type { Command } from 'commander';
import type { CallGraph } from '../../model/callGraph.js';
import { contextOf } from '../context.js';
import { envOption } from '../envOption.js';
import { printData, printTable } from '../output.js';

const COLUMNS = ['caller', 'callee', 'requests', 'rate', 'errors', 'p50', 'p99', 'mark'];

/** A duration for the table: `0.8 ms`, `12 ms`, `1.25 s`. */
function ms(v: number): string {
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
}

/** The rows of the table: the observed calls, busiest first, then the unused dependencies. */
export function graphRows(g: CallGraph): Record<string, string>[] {
  const rows = g.edges.map((e) => ({
    caller: e.from,
    callee: e.to,
    requests: String(e.count),
    rate: `${e.ratePerSec}/s`,
    errors: `${(e.errorRate * 100).toFixed(1)}%`,
    p50: ms(e.p50Ms),
    p99: ms(e.p99Ms),
    mark: e.mark ?? '',
  }));
  for (const d of g.declared)
    if (!d.called)
      rows.push({
        caller: d.from,
        callee: d.to,
        requests: '0',
        rate: '',
        errors: '',
        p50: '',
        p99: '',
        mark: 'unused',
      });
  return rows;
}

/** The line above the table: what the window holds and what differs from berth.yaml. */
export function graphHead(g: CallGraph): string {
  const requests = g.edges.reduce((n, e) => n + e.count, 0);
  const undeclared = g.differences.filter((d) => d.mark === 'undeclared').length;
  const unused = g.differences.length - undeclared;
  const diff =
    g.differences.length === 0
      ? 'as declared'
      : [undeclared ? `${undeclared} undeclared` : '', unused ? `${unused} unused` : ''].filter(Boolean).join(', ');
  return `${g.app} in ${g.env}, last ${g.window} (since ${g.since}): ${requests} requests over ${g.edges.length} calls; dependsOn of revision ${g.revision}: ${diff}`;
}

export function registerGraph(program: Command): void {
  program
    .command('graph <app>')
    .description(
      "which service calls which, from the gateway's spans over a window: requests, rate, error rate (5xx and gateway failures), p50 and p99 per caller → callee; `(outside)` is a client at the edge, `(unknown)` a caller that did not forward traceparent. Beside berth.yaml's dependsOn: `undeclared` marks a call dependsOn does not declare, `unused` a dependency never called in the window",
    )
    .addOption(envOption())
    .option(
      '-w, --window <duration>',
      'how far back from now: 30s, 15m, 1h, 2d (at most the traces’ retention, a day)',
      '15m',
    )
    .action(async (app: string, o: { env: string; window: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const path = `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(o.env)}/callgraph`;
      const g = await (await ctx.client()).get<CallGraph>(path, { window: o.window });
      if (ctx.output !== 'table') return printData(ctx.output, g);
      process.stdout.write(`${graphHead(g)}\n`);
      if (g.edges.length === 0 && g.declared.length === 0) {
        process.stdout.write('no calls in the window\n');
        return;
      }
      printTable(graphRows(g), COLUMNS);
    });
}
