/** What the pipeline routes answer, for the OpenAPI document (openapi.ts); the shapes are src/model/pipeline.ts. */
import { z } from 'zod';

const Step = z
  .object({
    kind: z.enum(['build', 'test', 'deploy', 'approval', 'promote']),
    env: z.string().optional(),
    command: z.string().optional(),
    job: z.string().optional(),
    timeoutMs: z.number().int().optional(),
    from: z.string().optional(),
    to: z.string().optional(),
  })
  .loose();

export const PipelineInfo = z
  .object({
    app: z.string(),
    version: z.number().int(),
    definition: z
      .object({
        source: z.object({ url: z.string(), branch: z.string(), path: z.string() }).loose(),
        webhook: z.object({}).loose().optional(),
        previews: z.object({ template: z.string(), ttlMs: z.number() }).loose().optional(),
        steps: z.array(Step),
      })
      .loose(),
    webhookSecret: z.boolean().describe('A webhook secret is stored (it is never shown)'),
    author: z.string(),
    createdAt: z.string(),
    yaml: z.string().describe('The definition as a pipeline file: setting it again keeps the stored secret'),
  })
  .loose()
  .meta({ id: 'PipelineInfo', description: "An app's pipeline (its latest version)" });

const status = z.enum(['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled']);

export const PipelineRun = z
  .object({
    id: z.number().int(),
    app: z.string(),
    status,
    trigger: z.enum(['manual', 'push', 'pull-request']),
    author: z.string(),
    branch: z.string(),
    commit: z.string().optional().describe('Resolved from the branch head when the run starts, if not given'),
    pipelineVersion: z.number().int(),
    preview: z.object({ key: z.string(), env: z.string() }).optional(),
    createdAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    error: z.string().optional(),
    steps: z.array(
      z
        .object({
          index: z.number().int(),
          spec: Step,
          title: z.string(),
          status: z.union([status, z.literal('skipped')]),
          startedAt: z.string().optional(),
          finishedAt: z.string().optional(),
          result: z.object({}).loose().optional(),
          error: z.string().optional(),
          logTail: z.array(z.string()).optional(),
        })
        .loose(),
    ),
  })
  .loose()
  .meta({ id: 'PipelineRun', description: 'A pipeline run with its steps' });

export const PipelineRunList = z.array(PipelineRun).meta({ id: 'PipelineRunList', description: 'Runs, newest first' });
