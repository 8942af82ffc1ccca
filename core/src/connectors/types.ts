import type { z } from 'zod'
import type { Logger } from '../log.ts'
import type { ConnectorError } from './errors.ts'
import type { HttpClient } from './http.ts'

/**
 * The connector contract. A connector kind is one folder under `core/src/connectors/<kind>/` with
 * the same files (manifest.ts, client.ts, index.ts registering it); an instance is a row of the
 * `connectors` table (settings + encrypted secrets + on-premises flag) created from the kind.
 *
 * Connectors know vendors, not incidents: they never touch the database, never retry, honour the
 * call's abort signal, make every HTTP call through `ctx.http` (egress policy, proxy, timeouts),
 * and throw ConnectorError (auth / rejected / not_found / rate_limited + retryAfterMs / unavailable).
 */

/** An e-mail to send; `to` may hold people and distribution lists alike (the relay expands lists). */
export type OutboundMail = {
  from?: string
  to: string[]
  cc?: string[]
  subject: string
  text: string
  /** a stable id: a retried job sends the same Message-ID, so receivers can tell a duplicate */
  messageId: string
  headers?: Record<string, string>
}
/** What the relay said: accepted addresses, and refused ones with the server's answer. */
export type MailReceipt = { accepted: string[]; rejected: { address: string; response: string }[]; response: string }

/** `notify.email`: hand a message to a mail relay. */
export interface NotifyEmail {
  sendMail(mail: OutboundMail, ctx: CallContext): Promise<MailReceipt>
}

/** `webhook.post`: deliver a JSON document to the configured endpoint, signed. */
export interface WebhookPost {
  postJson(
    body: unknown,
    options: { deliveryId: string },
    ctx: CallContext,
  ): Promise<{ status: number; responseSnippet: string }>
}

/** `intel.enrich`: look one observable up (a later issue adds the findings it produces). */
export interface IntelEnrich {
  lookup(
    observable: { type: 'ip' | 'domain' | 'url' | 'hash'; value: string },
    ctx: CallContext,
  ): Promise<{ verdict: 'malicious' | 'suspicious' | 'harmless' | 'unknown'; detail: Record<string, unknown> }>
}

/**
 * The answer for one item of a bulk call: bulk calls (`$batch` on Graph, one IMAP session per
 * mailbox) answer per item, in the order asked, so one throttled or unknown mailbox never fails the
 * others. A whole-call failure (bad credentials, peer down) is thrown instead.
 */
export type PerItem<T> = { ok: true; value: T } | { ok: false; error: ConnectorError }

/** How to find a message: by its Message-ID (with angle brackets), or, without one, by attributes. */
export type MailLocator =
  | { by: 'messageId'; messageId: string }
  | { by: 'attributes'; sender: string; subject: string; receivedFrom: string; receivedTo: string }

/**
 * One copy of a message in one mailbox, as the platform shows it now. `providerId` is the
 * platform's id for the copy (immutable where the platform offers it; IMAP: folder, UIDVALIDITY and
 * UID); `folderId` is what a move back needs (Graph folder id, EWS FolderId, Gmail label ids joined
 * by ',', IMAP folder path). `place` says what kind of folder holds it.
 */
export type MailCopy = {
  mailbox: string
  providerId: string
  folderId: string
  folderName: string
  place: 'inbox' | 'folder' | 'junk' | 'deleted' | 'recoverable' | 'sent' | 'quarantine'
  isRead: boolean
  internetMessageId: string | null
  subject: string
  from: string
  receivedAt: string | null
}

/** A message one mailbox sent that forwards (or replies to) the one searched for. */
export type MailForward = { messageId: string; recipients: string[]; sentAt: string | null }

/**
 * What a search found in one mailbox: the copies, the folders it could not search (`unreachable`,
 * e.g. 'recoverableitemsdeletions') and, when there are any, `unreachableWhy`: why, and what to
 * grant to reach them (shown per recipient in the quarantine results).
 */
export type MailFound = { copies: MailCopy[]; unreachable: string[]; unreachableWhy?: string }

/**
 * `mail.search`: find copies of a message. Every folder counts (Deleted Items/Trash, the
 * recoverable-items dumpster where the platform has one and the permissions reach it, and the
 * connector's own quarantine location, reported with place 'quarantine'). An unknown mailbox is a
 * per-item `not_found`; a folder the permissions cannot reach is logged and left out (the quarantine
 * domain reports it per recipient through `unreachable`). Abuse mailboxes (a later issue) add
 * reading a folder's new messages here.
 */
export interface MailSearch {
  findMessages(queries: { mailbox: string; locator: MailLocator }[], ctx: CallContext): Promise<PerItem<MailFound>[]>
  /** Messages each mailbox sent after `after` whose References/In-Reply-To name `messageId` (or, where headers cannot be searched, whose subject is a forward of `subject`). */
  findForwards(
    queries: { mailbox: string; messageId: string; subject: string; after: string }[],
    ctx: CallContext,
  ): Promise<PerItem<MailForward[]>[]>
}

/**
 * `mail.remediate`: reversible quarantine. `quarantine` moves each copy to the connector's
 * quarantine location (created hidden the first time) and answers the copy as it now is; a copy
 * already there is answered as is (a retried job never moves twice). `restore` puts a quarantined
 * copy back into the original's folder with the original's read state, and answers the restored copy
 * (a copy already back is answered as is). Never deletes permanently.
 */
export interface MailRemediate {
  quarantine(copies: MailCopy[], ctx: CallContext): Promise<PerItem<MailCopy>[]>
  restore(items: { quarantined: MailCopy; original: MailCopy }[], ctx: CallContext): Promise<PerItem<MailCopy>[]>
}

/**
 * An open abuse-mailbox folder (`mail.read`). Keys are stable while a message stays in the folder
 * (IMAP `UIDVALIDITY:UID`, a provider's message id); `markProcessed` moves the messages out of the
 * folder (into `processedFolder`), so what `pending` lists is exactly what is still to do.
 */
export interface MailboxReader {
  /** `idle` when the server tells us about new mail (IMAP IDLE), else `poll` */
  readonly mode: 'idle' | 'poll'
  /** the first `limit` waiting messages' keys, oldest first, and how many wait in all */
  pending(limit: number): Promise<{ keys: string[]; backlog: number }>
  /** waiting messages' bytes by key, in one round trip; a key that is gone (moved or deleted meanwhile) is left out */
  fetch(keys: string[]): Promise<Map<string, Buffer>>
  /** moves the messages out of the folder; keys already gone are ignored */
  markProcessed(keys: string[]): Promise<void>
  /** resolves when new mail may have arrived (IDLE), or after `ms` */
  waitForMail(ms: number): Promise<void>
  /**
   * Where a later reader of this folder may resume (Graph: the delta query's deltaLink), or null.
   * Non-null only when every message the folder held at that point has been handed out and marked
   * processed, so a reader opened with it lists only what came since. Readers that list the whole
   * folder each round (IMAP, Gmail, EWS: the folder holds only what is still to do) have none.
   */
  resumePoint?(): string | null
  close(): Promise<void>
}

/** `mail.read`: reads one mailbox folder's messages for an abuse-mailbox source. */
export interface MailRead {
  /** `resume`: a `resumePoint()` an earlier reader of the same source gave (ignored when it names another folder) */
  openMailbox(
    target: { mailbox: string; folder: string; processedFolder: string },
    ctx: CallContext,
    resume?: string | null,
  ): Promise<MailboxReader>
}

/** `directory.expand`: for each address, null when it is not a group here, else its transitive members' mail addresses. */
export interface DirectoryExpand {
  expandGroups(addresses: string[], ctx: CallContext): Promise<PerItem<string[] | null>[]>
}

/**
 * Capabilities and the interface each one promises. Later issues add `directory.lookup` (user
 * attributes), `list.push`, `intel.pull`: a new entry here and connectors that implement it.
 * `mail.search` and `mail.remediate` are apart: abuse mailboxes search without remediating.
 */
export interface CapabilityMap {
  'notify.email': NotifyEmail
  'webhook.post': WebhookPost
  'intel.enrich': IntelEnrich
  'mail.search': MailSearch
  'mail.remediate': MailRemediate
  'directory.expand': DirectoryExpand
  'mail.read': MailRead
}
export type Capability = keyof CapabilityMap
export const CAPABILITIES = [
  'notify.email',
  'webhook.post',
  'intel.enrich',
  'mail.search',
  'mail.remediate',
  'directory.expand',
  'mail.read',
] as const satisfies readonly Capability[]

export type Manifest<C extends z.ZodType = z.ZodType> = {
  /** folder name and registry key: lowercase vendor id */
  kind: string
  title: string
  description: string
  capabilities: readonly Capability[]
  /** non-secret settings (strict: unknown keys are errors); also drives the console form */
  settings: C
  /** secret names: stored encrypted under the master secret, never rendered back */
  secrets: readonly { name: string; label: string; isRequired: boolean }[]
  docs: string
}

/**
 * Passed to every call. `http` for HTTP; `resolve` for every other protocol (SMTP, LDAP, IMAP):
 * it resolves a host name under the instance's egress policy, and the connector connects to the
 * address it returns (keeping the name for TLS).
 */
export type CallContext = {
  signal: AbortSignal
  log: Logger
  http: HttpClient
  resolve(host: string): Promise<{ address: string; family: number }>
}

/** Every connector implements this. */
export interface Connector {
  readonly manifest: Manifest
  /** Checks the settings against the vendor (a real call) and says what it found. @throws ConnectorError */
  test(ctx: CallContext): Promise<{ message: string }>
}

/** Narrows a connector to a capability it declares (and implements: the registry test checks both agree). */
export const supports = <K extends Capability>(
  connector: Connector,
  capability: K,
): connector is Connector & CapabilityMap[K] => connector.manifest.capabilities.includes(capability)
