import { z } from 'zod'
import type { Manifest } from '../types.ts'

const origin = z
  .url({ protocol: /^https$/ })
  .max(2000)
  .transform((u) => new URL(u).origin)

export const ZGraphSettings = z.strictObject({
  /** the directory (tenant) id of the customer's Microsoft Entra tenant */
  tenantId: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9.-]+$/, 'a tenant id or domain'),
  /** the application (client) id of the app registration */
  clientId: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9-]+$/, 'an application id'),
  /** Entra's login host; changed only for a national cloud (or a test peer) */
  authorityHost: origin.default('https://login.microsoftonline.com'),
  /** Graph's origin; changed only for a national cloud (or a test peer) */
  graphBaseUrl: origin.default('https://graph.microsoft.com'),
  /** the accepted domains whose mailboxes live in this tenant (routing of recipients to connectors) */
  domains: z.array(z.string().min(1).max(253)).max(500).default([]),
  /** the hidden folder each mailbox's quarantined copies are moved to (created on first use) */
  quarantineFolderName: z.string().min(1).max(255).default('Clawback Quarantine'),
  /**
   * a mailbox "test connection" opens (its folders and Recoverable Items), e.g. one phishing
   * reaches; without it the test reads the Inbox of the first user Graph lists
   */
  testMailbox: z.email().max(320).optional(),
  /** PEM of a private CA to trust for Graph and Entra (a TLS-inspecting proxy; a test peer), else the system's CAs */
  caCertificate: z
    .string()
    .max(20_000)
    .regex(/-----BEGIN CERTIFICATE-----/, 'a PEM certificate')
    .optional(),
})
export type TGraphSettings = z.infer<typeof ZGraphSettings>

export const manifest = {
  kind: 'msgraph',
  title: 'Microsoft 365 (Graph)',
  description:
    'Finds, quarantines and restores delivered mail in Microsoft 365 mailboxes, reads abuse mailboxes and expands groups, with an app registration (application permissions Mail.ReadWrite, GroupMember.Read.All, User.Read.All).',
  capabilities: ['mail.search', 'mail.remediate', 'mail.read', 'directory.expand'],
  settings: ZGraphSettings,
  secrets: [{ name: 'clientSecret', label: 'Client secret of the app registration', isRequired: true }],
  docs: 'docs/connectors/msgraph.md',
} as const satisfies Manifest<typeof ZGraphSettings>
