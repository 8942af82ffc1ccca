import { createHmac } from 'node:crypto'
import type { z } from 'zod'
import { ConnectorError } from '../errors.ts'
import { throwForStatus } from '../http.ts'
import type { CallContext, Connector, WebhookPost } from '../types.ts'
import { manifest, type ZWebhookSettings } from './manifest.ts'

/** `t=<seconds>,v1=<hex>`: HMAC-SHA256 over `<seconds>.<body>`, so a replayed body with a new time fails. */
export const signWebhook = (secret: string, timestamp: number, body: string) =>
  `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`

export class WebhookConnector implements Connector, WebhookPost {
  readonly manifest = manifest
  readonly #settings: z.infer<typeof ZWebhookSettings>
  readonly #secret: string

  constructor(settings: z.infer<typeof ZWebhookSettings>, secrets: Record<string, string>) {
    if (!secrets.signingSecret) throw new ConnectorError('auth', 'webhook: no signing secret is stored')
    this.#settings = settings
    this.#secret = secrets.signingSecret
  }

  /** Delivers `body`; the receiver can de-duplicate on X-Clawback-Delivery. @throws ConnectorError */
  async postJson(body: unknown, options: { deliveryId: string }, ctx: CallContext) {
    const text = JSON.stringify(body)
    const res = await ctx.http.request(this.#settings.url, {
      method: 'POST',
      body: text,
      headers: {
        'content-type': 'application/json',
        'x-clawback-delivery': options.deliveryId,
        'x-clawback-signature': signWebhook(this.#secret, Math.floor(Date.now() / 1000), text),
      },
      signal: ctx.signal,
      timeoutMs: this.#settings.timeoutSeconds * 1000,
      maxResponseBytes: 64 * 1024,
    })
    throwForStatus('webhook', res)
    return { status: res.status, responseSnippet: res.text().slice(0, 500) }
  }

  async test(ctx: CallContext) {
    const { status } = await this.postJson(
      { type: 'ping', sentAt: new Date().toISOString() },
      { deliveryId: `ping-${Date.now()}` },
      ctx,
    )
    return { message: `the endpoint answered HTTP ${status} to a signed ping` }
  }
}
