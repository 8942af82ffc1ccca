import { z } from 'zod'
import type { Manifest } from '../types.ts'

export const ZImapSettings = z.strictObject({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(993),
  /** tls: implicit TLS (993); starttls: must upgrade (143); none: cleartext, only for a loopback or lab server */
  security: z.enum(['tls', 'starttls', 'none']).default('tls'),
  verifyCertificate: z.boolean().default(true),
  /** accepted domains whose mailboxes live on this server (quarantine routing); empty = every domain when it is the only mail connector */
  domains: z.array(z.string().min(1).max(253).toLowerCase()).max(500).default([]),
  /** the master (admin) user: Dovecot logs in as `<mailbox><separator><masterUser>` */
  masterUser: z.string().min(1).max(320),
  masterSeparator: z.string().min(1).max(4).default('*'),
  /** created unsubscribed the first time it is needed; most clients then do not show it */
  quarantineFolder: z.string().min(1).max(200).default('Clawback Quarantine'),
  /** a mailbox the connection test logs into */
  testMailbox: z.string().max(320).default(''),
  /** sessions open at once (one per mailbox) */
  maxConnections: z.number().int().min(1).max(50).default(8),
  timeoutSeconds: z.number().int().min(1).max(120).default(30),
})
export type ImapSettings = z.infer<typeof ZImapSettings>

export const manifest = {
  kind: 'imap',
  title: 'IMAP server (master user)',
  description:
    'Finds, quarantines and restores delivered mail on an IMAP server (Dovecot, Zimbra, ...) through a master/admin login that can open every mailbox; quarantine moves the message to a hidden, unsubscribed folder of the same mailbox. Also reads abuse mailboxes (IDLE, processed mail moved to a folder).',
  capabilities: ['mail.search', 'mail.remediate', 'mail.read'],
  settings: ZImapSettings,
  secrets: [{ name: 'masterPassword', label: 'Master user password', isRequired: true }],
  docs: 'docs/connectors/imap.md',
} as const satisfies Manifest<typeof ZImapSettings>
