/**
 * How each git host's webhook is set up for a pipeline: the header that carries the secret (an HMAC of
 * the body, or the token itself), the events to choose, where the settings are. `berth hooks url` and
 * the console's Webhook deliveries tab both show it (docs/webhooks.md).
 */
export interface WebhookSetup {
  /** The provider's name as its users know it. */
  name: string;
  /** The request header checked against the pipeline's secret. */
  header: string;
  /** True when the header is an HMAC-SHA256 of the body, false when it is the secret itself. */
  hmac: boolean;
  /** The events to select, as the provider names them. */
  events: string;
  /** Where the settings are in the provider's UI (English, as the providers' own UIs say it). */
  where: string;
}

/** The providers in the order they are shown; the key is the path segment of the hook URL. */
export const WEBHOOK_SETUP: ReadonlyMap<string, WebhookSetup> = new Map([
  [
    'github',
    {
      name: 'GitHub',
      header: 'X-Hub-Signature-256',
      hmac: true,
      events: 'push, pull_request',
      where:
        'repository Settings → Webhooks → Add webhook: Payload URL, Content type application/json, Secret, "Let me select individual events": Pushes and Pull requests',
    },
  ],
  [
    'gitlab',
    {
      name: 'GitLab',
      header: 'X-Gitlab-Token',
      hmac: false,
      events: 'Push Hook, Merge Request Hook',
      where:
        'project Settings → Webhooks → Add new webhook: URL, Secret token, Trigger: Push events and Merge request events',
    },
  ],
  [
    'gitea',
    {
      name: 'Gitea',
      header: 'X-Gitea-Signature',
      hmac: true,
      events: 'push, pull_request',
      where:
        'repository Settings → Webhooks → Add Webhook → Gitea: Target URL, POST, Content type application/json, Secret, Trigger on: Push and Pull Request events',
    },
  ],
  [
    'forgejo',
    {
      name: 'Forgejo',
      header: 'X-Forgejo-Signature',
      hmac: true,
      events: 'push, pull_request',
      where:
        'repository Settings → Webhooks → Add webhook → Forgejo: Target URL, POST, Content type application/json, Secret, Trigger on: Push and Pull Request events',
    },
  ],
]);

/** The path of an app's hook URL for a provider (the control plane's address goes before it). */
export function webhookPath(provider: string, app: string): string {
  return `/api/v1/hooks/${provider}/${encodeURIComponent(app)}`;
}
