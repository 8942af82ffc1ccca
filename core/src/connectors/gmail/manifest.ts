import { z } from 'zod'
import type { Manifest } from '../types.ts'

const ZEmail = z.email().max(320)

export const ZGmailSettings = z.strictObject({
  /** the service account's e-mail (`…@….iam.gserviceaccount.com`): the JWT's issuer */
  clientEmail: ZEmail,
  /** the service account's numeric OAuth client ID, named in "grant domain-wide delegation" messages */
  clientId: z
    .string()
    .regex(/^\d{1,40}$/)
    .optional(),
  /** comma-separated: mailboxes of these domains only; any other address is refused per item without a call */
  domains: z
    .string()
    .max(4000)
    .regex(/^\s*[a-z0-9.-]+(\s*,\s*[a-z0-9.-]+)*\s*$/i, 'comma-separated domain names'),
  /** a Workspace admin the service account acts as for Google Groups (Admin SDK) and test() */
  adminSubject: ZEmail,
  /** the private, hidden label quarantined messages carry */
  quarantineLabelName: z
    .string()
    .min(1)
    .max(225)
    .regex(/^[^\s/][^/]*$/, 'a label name without "/"')
    .default('Clawback Quarantine'),
  /** the per-user Gmail quota the connector paces itself to (lower it when other tools share the project) */
  userQuotaUnitsPerMinute: z.number().int().min(50).max(15_000).default(15_000),
  /** the APIs' origin; only changed for a test peer */
  rootUrl: z
    .url({ protocol: /^https$/ })
    .max(2000)
    .default('https://gmail.googleapis.com/'),
  adminRootUrl: z
    .url({ protocol: /^https$/ })
    .max(2000)
    .default('https://admin.googleapis.com/'),
  /** where the token request goes; only changed for a test peer (the JWT's audience stays Google's) */
  tokenUrl: z
    .url({ protocol: /^https$/ })
    .max(2000)
    .default('https://oauth2.googleapis.com/token'),
  /** a private CA trusted instead of the system's (behind an outbound TLS-inspecting proxy; a test peer) */
  caCertificate: z
    .string()
    .max(20_000)
    .regex(/-----BEGIN CERTIFICATE-----/, 'a PEM certificate')
    .optional(),
})
export type TGmailSettings = z.infer<typeof ZGmailSettings>

/** The `domains` setting as a list of lower-case names. */
export const domainsOf = (settings: TGmailSettings) =>
  settings.domains
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean)

export const GMAIL_SCOPE = 'https://www.googleapis.com/auth/gmail.modify'
export const GROUPS_SCOPE = 'https://www.googleapis.com/auth/admin.directory.group.member.readonly'

export const manifest = {
  kind: 'gmail',
  title: 'Google Workspace (Gmail)',
  description:
    'Finds, quarantines and restores delivered mail in Gmail mailboxes and expands Google Groups, as a ' +
    'service account with domain-wide delegation. Setup: in Google Cloud create a service account and a ' +
    'JSON key (paste its private_key here, its client_email and client_id in the settings) and enable the ' +
    'Gmail API and Admin SDK API; in the Admin console (Security → API controls → Domain-wide delegation) ' +
    `add the client ID with the scopes ${GMAIL_SCOPE} and ${GROUPS_SCOPE}; set adminSubject to a ` +
    'Workspace admin allowed to read groups. Quarantine adds a private label hidden from the label list ' +
    'and from message lists and removes every other label (Inbox, Trash, Spam, user labels; the read ' +
    'state is kept), so the message leaves every view the user browses; it stays in "All Mail" search ' +
    'results, which Gmail offers no way to hide short of deleting. Restore puts back the exact labels ' +
    'the message had (Trash included) and its read state. As an abuse-mailbox source the folder is a ' +
    'label (INBOX by default): its messages are polled and each processed report is relabelled to the ' +
    'processed label.',
  capabilities: ['mail.search', 'mail.remediate', 'mail.read', 'directory.expand'],
  settings: ZGmailSettings,
  secrets: [{ name: 'privateKey', label: 'Service account private key (PEM, from the JSON key)', isRequired: true }],
  docs: 'docs/connectors/gmail.md',
} as const satisfies Manifest<typeof ZGmailSettings>
