import { z } from 'zod'
import type { Manifest } from '../types.ts'

export const ZEwsSettings = z.strictObject({
  /** the EWS endpoint, e.g. https://mail.example.com/EWS/Exchange.asmx */
  url: z.url({ protocol: /^https$/ }).max(2000),
  /** the service account, as Exchange's Basic authentication wants it (DOMAIN\\user or user@domain) */
  username: z.string().min(1).max(320),
  /** impersonation (ApplicationImpersonation role) or full-access delegation (FullAccess on each mailbox) */
  accessMode: z.enum(['impersonation', 'delegation']).default('impersonation'),
  /** comma-separated: mailboxes of these domains only; any other address is refused per item without a call */
  domains: z
    .string()
    .max(4000)
    .regex(/^\s*[a-z0-9.-]+(\s*,\s*[a-z0-9.-]+)*\s*$/i, 'comma-separated domain names'),
  /** a mailbox test() opens to prove the access mode works */
  testMailbox: z.email().max(320),
  /** the hidden folder under the mailbox root that holds quarantined messages */
  quarantineFolderName: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^\\/]+$/)
    .default('Clawback Quarantine'),
  /** requests in flight at once (Exchange's EWSMaxConcurrency default is 27 per account) */
  maxConcurrency: z.number().int().min(1).max(27).default(8),
  /** PEM of the CA that issued the server's certificate, when it is a private one (else the system's CAs) */
  caCertificate: z
    .string()
    .max(20_000)
    .regex(/-----BEGIN CERTIFICATE-----/, 'a PEM certificate')
    .optional(),
  exchangeVersion: z.enum(['Exchange2013', 'Exchange2013_SP1', 'Exchange2016']).default('Exchange2013_SP1'),
})
export type TEwsSettings = z.infer<typeof ZEwsSettings>

export const manifest = {
  kind: 'ews',
  title: 'Exchange on-premises (EWS)',
  description:
    'Finds, quarantines and restores delivered mail in Exchange 2013–2019 mailboxes over EWS and expands ' +
    'distribution lists. Mark the connector on-premises (the server is inside your network). ' +
    'Authentication is Basic over HTTPS (enable Basic on the EWS virtual directory; NTLM and OAuth are not ' +
    'supported). Impersonation: New-ManagementRoleAssignment -Name clawback-impersonation -Role ' +
    'ApplicationImpersonation -User <service account> (scope it with -CustomRecipientWriteScope). Full-access ' +
    'delegation: Add-MailboxPermission -Identity <mailbox> -User <service account> -AccessRights FullAccess ' +
    'per mailbox. Quarantine moves the message into a folder under the mailbox root hidden from Outlook and OWA ' +
    '(PR_ATTR_HIDDEN), created on first use; Deleted Items and Recoverable Items\\Deletions are searched too, ' +
    'and restore moves the message back to the folder it came from and sets its read state.',
  capabilities: ['mail.search', 'mail.remediate', 'mail.read', 'directory.expand'],
  settings: ZEwsSettings,
  secrets: [{ name: 'password', label: 'Service account password', isRequired: true }],
  docs: 'docs/connectors/ews.md',
} as const satisfies Manifest<typeof ZEwsSettings>
