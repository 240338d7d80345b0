// Posts approval events to the configured webhooks, without ever holding up a statement or logging a webhook's secret URL.
import type { PluginLogger } from '@sluice/core';
import type { WebhookOptions } from '../options.js';
import { jsonPayload, linksFor, slackPayload } from './payloads.js';
import type { ApprovalEvent } from './types.js';

export class WebhookNotifier {
  readonly #webhooks: readonly WebhookOptions[];
  readonly #baseUrl: string | undefined;
  readonly #log: PluginLogger;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(webhooks: readonly WebhookOptions[], baseUrl: string | undefined, log: PluginLogger) {
    this.#webhooks = webhooks;
    this.#baseUrl = baseUrl;
    this.#log = log;
  }

  /** Sends the event to every webhook in the background; failures are logged, never thrown. */
  notify(event: ApprovalEvent): void {
    const links = linksFor(this.#baseUrl, event.approval.id);
    for (const [index, webhook] of this.#webhooks.entries()) {
      const body = webhook.format === 'slack' ? slackPayload(event, links) : jsonPayload(event, links);
      const sending = this.#post(webhook, index, body, event).finally(() => this.#inFlight.delete(sending));
      this.#inFlight.add(sending);
    }
  }

  /** Resolves when every notification sent so far has been delivered or has failed. */
  async flush(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  async #post(webhook: WebhookOptions, index: number, body: unknown, event: ApprovalEvent): Promise<void> {
    // Slack's URL is itself the credential: only its host is ever logged.
    const target = { webhook: index, host: new URL(webhook.url).host, format: webhook.format, approval: event.approval.id, event: event.type };
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...webhook.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(webhook.timeout),
      });
      await response.body?.cancel();
      if (!response.ok) this.#log.warn({ ...target, status: response.status }, `guardrails: webhook ${index} answered HTTP ${response.status}`);
    } catch (error) {
      const why = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${webhook.timeout}ms` : describeFetchError(error);
      this.#log.warn({ ...target, error: why }, `guardrails: webhook ${index} failed: ${why}`);
    }
  }
}

/** fetch's errors carry the URL in some versions; keep only the cause's code or message. */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return cause?.code ?? cause?.message?.replace(/https?:\/\/\S+/g, '<url>') ?? 'request failed';
}
