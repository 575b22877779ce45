/** What the build routes answer, for the OpenAPI document (openapi.ts). */
import { z } from 'zod';

export const ServiceBuild = z
  .object({
    buildId: z.string(),
    app: z.string(),
    env: z.string(),
    service: z.string(),
    kind: z.enum(['image', 'command']),
    commit: z.string(),
    contextDigest: z.string().describe('sha256 over the context files and the build settings'),
    status: z
      .enum(['running', 'built', 'skipped', 'failed'])
      .describe('skipped: an earlier build with the same context is reused'),
    image: z.string().optional(),
    imageDigest: z.string().optional().describe("The registry's manifest digest after a push, else the image id"),
    codeDigest: z.string().optional().describe("A command build's output snapshot"),
    author: z.string(),
    startedAt: z.string(),
    endedAt: z.string().optional(),
    logFile: z.string(),
    error: z.string().optional(),
  })
  .loose()
  .meta({ id: 'ServiceBuild', description: "One service's part of a build" });

export const Build = z
  .object({
    id: z.string(),
    app: z.string(),
    env: z.string(),
    commit: z.string(),
    author: z.string(),
    status: z.enum(['running', 'succeeded', 'failed']),
    startedAt: z.string(),
    endedAt: z.string().optional(),
    services: z.array(ServiceBuild),
  })
  .loose()
  .meta({ id: 'Build', description: 'A build of the services of an app with `build:` for one environment' });

export const BuildStarted = z
  .object({ id: z.string(), app: z.string(), env: z.string(), commit: z.string(), services: z.array(z.string()) })
  .loose()
  .meta({ id: 'BuildStarted', description: 'A build under way: follow its log, then read it' });

export const BuildLogLine = z
  .object({ line: z.string().describe('One line of the log, `[service] text`') })
  .meta({ id: 'BuildLogLine', description: 'One line of a build log' });
