/**
 * `berth metrics APP [--service S] [--since 1h] [--metric rps]`: the metric history of an app, a row
 * per service with a sparkline, and the releases of the range (`-o json|yaml`: the API's answer).
 */
import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import { METRIC_NAMES, type MetricHistory } from '../../model/metricHistory.js';
import { contextOf } from '../context.js';
import { envOption } from '../envOption.js';
import { printData, printTable } from '../output.js';
import { METRIC_COLUMNS, markerLines, metricHead, metricRows } from '../metricsTable.js';

/** What `--metric` takes: the API's metrics and `replicas` (ready and desired together). */
const CHOICES = [...METRIC_NAMES, 'replicas'] as const;

interface MetricsOptions {
  env: string;
  service?: string;
  track?: string;
  route?: string;
  since: string;
  until?: string;
  metric: string;
  step?: string;
}

export function registerMetrics(program: Command): void {
  program
    .command('metrics <app>')
    .description(
      'metric history of an app: a row per service with its last, lowest, mean and highest value and a sparkline, then the deploys, rollbacks and aborts of the range',
    )
    .addOption(envOption())
    .option('--metric <metric>', `what to show: ${CHOICES.join(', ')}`, 'rps')
    .option('--service <service>', 'one service only')
    .option('--track <track>', 'one track only (stable, canary)')
    .option('--route <route>', 'one edge route only (e.g. /api)')
    .option('--since <time>', 'from this time: ISO 8601, or a duration ago (15m, 1h, 7d, 30d)', '1h')
    .option('--until <time>', 'up to this time (default now)')
    .option('--step <duration>', 'width of a point (10s, 1m, 1h); widened to keep at most 360 points')
    .action(async (app: string, o: MetricsOptions, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (!(CHOICES as readonly string[]).includes(o.metric))
        throw new ValidationError('invalid options', [
          { file: 'command line', path: 'metric', message: `"${o.metric}" is not one of ${CHOICES.join(', ')}` },
        ]);
      const client = await ctx.client();
      const path = `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(o.env)}/metrics/history`;
      const query = (metric: string) => ({
        metric,
        service: o.service,
        track: o.track,
        route: o.route,
        from: o.since,
        to: o.until,
        step: o.step,
      });
      const metrics = o.metric === 'replicas' ? ['ready', 'desired'] : [o.metric];
      const answers: MetricHistory[] = [];
      for (const m of metrics) answers.push(await client.get<MetricHistory>(path, query(m)));
      if (ctx.output !== 'table') return printData(ctx.output, answers.length === 1 ? answers[0] : answers);
      for (const h of answers) {
        process.stdout.write(`${metricHead(h)}\n`);
        if (h.series.length === 0) process.stdout.write('no samples in this range\n');
        else printTable(metricRows(h), METRIC_COLUMNS);
      }
      const markers = answers[0]!.markers;
      if (markers.length > 0) process.stdout.write(`releases:\n${markerLines(markers).join('\n')}\n`);
    });
}
