/**
 * Rendering for Kubernetes: the manifests of a spec in an environment (secrets masked) and its Helm
 * chart. The route parses the body and shapes the answer; the render itself is `ctx.renders`
 * (server/renderService.ts).
 */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import type { FastifyRequest } from 'fastify';
import { declaredApp, type RenderHow, type RenderRequest } from '../renderService.js';
import { authorize } from '../routePermissions.js';
import { SpecInput, type Api } from './api.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../runtime/kubernetes/manifests/versions.js';
import { dnsLabel } from '../../spec/dnsLabel.js';

const kubernetesName = dnsLabel().max(63);

export const RenderBody = z.object({
  env: z.string().min(1).default('local').describe('Environment whose config set is rendered'),
  spec: SpecInput,
  kubernetesVersion: z
    .string()
    .regex(/^v?1\.\d+(\.\d+)?$/, 'a Kubernetes version such as 1.30')
    .optional()
    .describe(`Kubernetes version the objects target (default ${DEFAULT_KUBERNETES_VERSION})`),
  namespace: kubernetesName
    .optional()
    .describe('Namespace for an environment that does not target Kubernetes (default: the environment name)'),
  ingressClassName: kubernetesName.optional().describe('Ingress class of the app’s routes'),
  configVersion: z.number().int().min(0).optional().describe('Config version to render (default: current)'),
  commit: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('Services with `build:` are rendered with their build of this commit (default: the newest)'),
  format: z
    .enum(['json', 'yaml'])
    .default('json')
    .describe('`json`: `objects` as JSON; `yaml`: `yaml`, one multi-document YAML text'),
});

/** The render a parsed body asks for: only the fields it set (an unset one is not part of the cache key). */
export function renderRequestOf(b: z.infer<typeof RenderBody>): RenderRequest {
  return {
    env: b.env,
    spec: { file: b.spec.file, text: b.spec.text },
    ...(b.kubernetesVersion ? { kubernetesVersion: b.kubernetesVersion } : {}),
    ...(b.namespace ? { namespace: b.namespace } : {}),
    ...(b.ingressClassName ? { ingressClassName: b.ingressClassName } : {}),
    ...(b.configVersion === undefined ? {} : { configVersion: b.configVersion }),
    ...(b.commit === undefined ? {} : { commit: b.commit }),
    format: b.format,
  };
}

/** Whether the answer is the YAML text itself: asked for as `yaml` by a client that accepts `application/yaml`. */
export function answersYamlText(format: RenderRequest['format'], accept: string | undefined): boolean {
  return format === 'yaml' && (accept?.includes('application/yaml') ?? false);
}

/** The answer's `Server-Timing` header: how the render was had and how long it took. */
export function serverTiming(how: RenderHow, ms: number): string {
  return `render;desc="${how}";dur=${ms.toFixed(1)}`;
}

/**
 * A render shows an app's config in an environment (secrets masked): apps:read there. The app is the one
 * the text's top-level `name:` declares; a text where that cannot be read needs apps:read on every app.
 */
async function authorizeRender(
  req: FastifyRequest,
  body: { env: string; spec: { text: string } },
  ctx: ServerContext,
): Promise<void> {
  const app = declaredApp(body.spec.text);
  await authorize(req, ctx, 'apps:read', { ...(app ? { app } : {}), env: body.env });
}

export function renderRoutes(api: Api, ctx: ServerContext): void {
  api.post(
    '/api/v1/render',
    {
      schema: {
        summary: 'The Kubernetes objects of a spec in an environment, validated, secrets masked',
        description:
          'With `format: yaml` and `Accept: application/yaml`, the answer is the YAML text itself (`application/yaml`). ' +
          'Every answer carries `Server-Timing: render;desc="made|joined|cached";dur=<ms>`: rendered for this request, ' +
          'shared with a request that was rendering it, or from the cache.',
        tags: ['render'],
        body: RenderBody,
      },
    },
    async (req, reply) => {
      await authorizeRender(req, req.body, ctx);
      const started = performance.now();
      const { value, how, json } = await ctx.renders.render(renderRequestOf(req.body));
      void reply.header('server-timing', serverTiming(how, performance.now() - started));
      if (answersYamlText(req.body.format, req.headers.accept)) {
        void reply.type('application/yaml; charset=utf-8');
        return value.yaml;
      }
      void reply.type('application/json; charset=utf-8');
      return json();
    },
  );

  api.post(
    '/api/v1/export/helm',
    {
      schema: {
        summary: 'A Helm chart of a spec in an environment: values from the config set, secrets required at install',
        tags: ['render'],
        body: RenderBody.omit({ format: true }),
      },
    },
    async (req) => {
      await authorizeRender(req, req.body, ctx);
      const { format: _format, ...request } = renderRequestOf({ ...req.body, format: 'json' });
      return ctx.renders.helmChart(request);
    },
  );
}
