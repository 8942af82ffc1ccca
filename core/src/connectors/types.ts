import type { z } from 'zod'
import type { Logger } from '../log.ts'
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
 * Capabilities and the interface each one promises. Later issues add `mail.search`,
 * `mail.remediate` (kept apart: abuse mailboxes search without remediating), `directory.lookup`,
 * `list.push`, `intel.pull`: a new entry here and connectors that implement it.
 */
export interface CapabilityMap {
  'notify.email': NotifyEmail
  'webhook.post': WebhookPost
  'intel.enrich': IntelEnrich
}
export type Capability = keyof CapabilityMap
export const CAPABILITIES = ['notify.email', 'webhook.post', 'intel.enrich'] as const satisfies readonly Capability[]

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
