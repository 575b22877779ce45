/** `berth trace ID`: the spans of one trace the gateway recorded, as a waterfall (`-o json|yaml`: the data). */
import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import type { TraceView } from '../../model/trace.js';
import { contextOf } from '../context.js';
import { printData, printTable } from '../output.js';
import { WATERFALL_COLUMNS, waterfallHead, waterfallRows } from '../traceWaterfall.js';

export function registerTrace(program: Command): void {
  program
    .command('trace <traceId>')
    .description(
      'one trace through the gateway: a span per hop (edge or service address), nested by parent, with caller, route, track, status, offset and duration; the id is the X-Berth-Trace-Id a service received (32 hex digits)',
    )
    .action(async (traceId: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (!/^[0-9a-fA-F]{32}$/.test(traceId))
        throw new ValidationError('invalid trace id', [
          {
            file: 'command line',
            path: 'traceId',
            message: `"${traceId}" is not 32 hex digits (the trace id of traceparent or X-Berth-Trace-Id)`,
          },
        ]);
      const view = await (await ctx.client()).get<TraceView>(`/api/v1/traces/${traceId.toLowerCase()}`);
      if (ctx.output !== 'table') return printData(ctx.output, view);
      process.stdout.write(`${waterfallHead(view)}\n`);
      printTable(waterfallRows(view), WATERFALL_COLUMNS);
    });
}
