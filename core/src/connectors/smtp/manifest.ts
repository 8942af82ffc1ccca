import { z } from 'zod'
import type { Manifest } from '../types.ts'

export const ZSmtpSettings = z.strictObject({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(587),
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  /** verify the relay's certificate; off only for a relay with a private CA you cannot install */
  verifyCertificate: z.boolean().default(true),
  username: z.string().max(200).default(''),
  from: z.email().max(320),
  timeoutSeconds: z.number().int().min(1).max(120).default(30),
})

export const manifest = {
  kind: 'smtp',
  title: 'SMTP relay',
  description: 'Sends notification e-mail through your relay (STARTTLS, implicit TLS or plain; optional AUTH).',
  capabilities: ['notify.email'],
  settings: ZSmtpSettings,
  secrets: [{ name: 'password', label: 'Password (when the relay needs AUTH)', isRequired: false }],
  docs: 'ARCHITECTURE.md#connectors',
} as const satisfies Manifest<typeof ZSmtpSettings>
