import { z } from 'zod'
import type { Manifest } from '../types.ts'

export const ZWebhookSettings = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  timeoutSeconds: z.number().int().min(1).max(60).default(10),
})

export const manifest = {
  kind: 'webhook',
  title: 'Webhook',
  description:
    'POSTs a JSON document to your endpoint, signed: X-Clawback-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the signing secret>.',
  capabilities: ['webhook.post'],
  settings: ZWebhookSettings,
  secrets: [{ name: 'signingSecret', label: 'Signing secret (HMAC-SHA256 key)', isRequired: true }],
  docs: 'ARCHITECTURE.md#connectors',
} as const satisfies Manifest<typeof ZWebhookSettings>
