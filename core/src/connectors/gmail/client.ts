import type { admin_directory_v1 } from '@googleapis/admin'
import type { Credentials } from 'google-auth-library'
import { ConnectorError } from '../errors.ts'
import { pemOf } from '../pem.ts'
import { addressesOf, addressOf, isForwardOf, perMailbox } from '../per-mailbox.ts'
import type {
  CallContext,
  Connector,
  DirectoryExpand,
  MailboxReader,
  MailCopy,
  MailForward,
  MailLocator,
  MailRead,
  MailRemediate,
  MailSearch,
} from '../types.ts'
import { domainsOf, GMAIL_SCOPE, GROUPS_SCOPE, manifest, type TGmailSettings } from './manifest.ts'

const epoch = (iso: string, what: string) => {
  const ms = Date.parse(iso)
  if (!Number.isFinite(ms)) throw new ConnectorError('rejected', `gmail: ${what} is not a date`)
  return Math.floor(ms / 1000)
}
/** A phrase for Gmail's search: quotes and backslashes cannot be escaped there, so they go. */
const phrase = (s: string) => `"${s.replace(/["\\]/g, ' ').trim()}"`
/** Google's libraries, loaded on first use (see google.ts). */
const google = () => import('./google.ts')
const bare = (messageId: string) => messageId.trim().replace(/^<|>$/g, '')

/** Gmail's search query for a locator (https://support.google.com/mail/answer/7190). */
export const searchQuery = (locator: MailLocator) =>
  locator.by === 'messageId'
    ? `rfc822msgid:${bare(locator.messageId)}`
    : `from:${locator.sender} subject:${phrase(locator.subject)} after:${epoch(locator.receivedFrom, 'receivedFrom')} before:${epoch(locator.receivedTo, 'receivedTo') + 1}`

/**
 * Google Workspace through the Gmail API and the Admin SDK, as a service account with
 * domain-wide delegation (one JWT per user and scope; google-auth-library signs it, every request
 * goes through `ctx.http`). Quarantine = a private hidden label in place of every other label.
 */
export class GmailConnector implements Connector, MailSearch, MailRemediate, MailRead, DirectoryExpand {
  readonly manifest = manifest
  readonly #settings: TGmailSettings
  readonly #privateKey: string
  readonly #quotaWindowMs: number
  readonly #tokens = new Map<string, Credentials>()

  /** `quotaWindowMs` (default a minute, Google's) is shortened only by tests, together with their peer's. */
  constructor(settings: TGmailSettings, secrets: Record<string, string>, opts: { quotaWindowMs?: number } = {}) {
    if (!secrets.privateKey) throw new ConnectorError('auth', 'gmail: no service account private key is stored')
    this.#settings = settings
    this.#privateKey = pemOf(secrets.privateKey)
    this.#quotaWindowMs = opts.quotaWindowMs ?? 60_000
  }

  async #mailbox(address: string, ctx: CallContext, tokens = this.#tokens) {
    const domain = address.split('@')[1]?.toLowerCase() ?? ''
    if (!domainsOf(this.#settings).includes(domain))
      throw new ConnectorError('rejected', `gmail: ${address} is not in the connector's domains`)
    const { GmailMailbox } = await google()
    return new GmailMailbox(address, this.#settings, this.#privateKey, ctx, tokens, this.#quotaWindowMs)
  }

  /** An abuse mailbox's label, polled; processed reports move to the `processedFolder` label. */
  async openMailbox(
    target: { mailbox: string; folder: string; processedFolder: string },
    ctx: CallContext,
  ): Promise<MailboxReader> {
    const { openGmailMailbox } = await google()
    return openGmailMailbox(await this.#mailbox(target.mailbox, ctx), target, ctx)
  }

  /** Every copy in the mailbox, Spam and Trash included (`includeSpamTrash`), and ones in our quarantine. */
  async findMessages(queries: { mailbox: string; locator: MailLocator }[], ctx: CallContext) {
    return perMailbox(
      queries,
      async ({ mailbox, locator }) => {
        const box = await this.#mailbox(mailbox, ctx)
        const copies: MailCopy[] = []
        for (const id of await box.listIds(searchQuery(locator))) {
          const copy = await box.copyOf(await box.get(id))
          // Gmail's subject:/from: match words; the attribute search wants the same subject and sender
          if (
            locator.by === 'attributes' &&
            (copy.subject.trim().toLowerCase() !== locator.subject.trim().toLowerCase() ||
              addressOf(copy.from) !== locator.sender.toLowerCase())
          )
            continue
          copies.push(copy)
        }
        return { copies, unreachable: [] }
      },
      { signal: ctx.signal },
    )
  }

  /**
   * Sent messages since `after` with the subject's words whose References/In-Reply-To name the
   * message, or whose subject is a forward of it (a forward written from the Gmail UI).
   */
  async findForwards(
    queries: { mailbox: string; messageId: string; subject: string; after: string }[],
    ctx: CallContext,
  ) {
    return perMailbox(
      queries,
      async (q) => {
        const box = await this.#mailbox(q.mailbox, ctx)
        const words = q.subject.replace(/^\s*((re|fwd?|fw)\s*:\s*)+/i, '').trim()
        const query = `in:sent after:${epoch(q.after, 'after')}${words ? ` subject:${phrase(words)}` : ''}`
        const { header } = await google()
        const id = bare(q.messageId).toLowerCase()
        const found: MailForward[] = []
        for (const mid of await box.listIds(query)) {
          const m = await box.get(mid)
          const refs = `${header(m, 'References') ?? ''} ${header(m, 'In-Reply-To') ?? ''}`.toLowerCase()
          if (!refs.includes(`<${id}>`) && !isForwardOf(header(m, 'Subject') ?? '', q.subject)) continue
          const recipients = ['To', 'Cc', 'Bcc'].flatMap((h) => addressesOf(header(m, h) ?? ''))
          found.push({
            messageId: header(m, 'Message-ID') ?? `<gmail-${mid}>`,
            recipients: [...new Set(recipients)],
            sentAt: m.internalDate ? new Date(Number(m.internalDate)).toISOString() : null,
          })
        }
        return found
      },
      { signal: ctx.signal },
    )
  }

  /** Adds the hidden label and removes every other one except UNREAD/SENT/DRAFT; a copy already labelled is answered as is. */
  async quarantine(copies: MailCopy[], ctx: CallContext) {
    return perMailbox(
      copies,
      async (copy) => {
        const box = await this.#mailbox(copy.mailbox, ctx)
        const label = (await box.quarantineLabelId(true))!
        const now = await box.get(copy.providerId)
        const labels = now.labelIds ?? []
        if (labels.includes(label)) return box.copyOf(now)
        const { KEPT_LABELS } = await google()
        const remove = labels.filter((l) => !KEPT_LABELS.has(l))
        await box.modify(copy.providerId, [label], remove)
        return box.copyOf(await box.get(copy.providerId))
      },
      { signal: ctx.signal },
    )
  }

  /** Gives the message back the original's labels (Trash included) and read state; a copy already so is answered as is. */
  async restore(items: { quarantined: MailCopy; original: MailCopy }[], ctx: CallContext) {
    return perMailbox(
      items.map((i) => ({ ...i, mailbox: i.quarantined.mailbox })),
      async ({ quarantined, original }) => {
        const box = await this.#mailbox(quarantined.mailbox, ctx)
        const label = await box.quarantineLabelId(false)
        const now = await box.get(quarantined.providerId)
        const current = now.labelIds ?? []
        const target = original.folderId
          .split(',')
          .filter((l) => l && l !== 'UNREAD' && l !== label)
          .concat(original.isRead ? [] : ['UNREAD'])
        const add = target.filter((l) => !current.includes(l))
        const remove = current.filter((l) => !target.includes(l) && l !== 'SENT' && l !== 'DRAFT')
        if (add.length === 0 && remove.length === 0) return box.copyOf(now)
        await box.modify(quarantined.providerId, add, remove)
        return box.copyOf(await box.get(quarantined.providerId))
      },
      { signal: ctx.signal },
    )
  }

  async #directory(ctx: CallContext) {
    const { admin, delegatedClient } = await google()
    const auth = delegatedClient(ctx, {
      clientEmail: this.#settings.clientEmail,
      privateKey: this.#privateKey,
      subject: this.#settings.adminSubject,
      scope: GROUPS_SCOPE,
      tokenUrl: this.#settings.tokenUrl,
    })
    return admin({ version: 'directory_v1', auth, rootUrl: this.#settings.adminRootUrl })
  }

  /** Google Groups' transitive members (`includeDerivedMembership`), users only; null for an address that is no group. */
  async expandGroups(addresses: string[], ctx: CallContext) {
    const dir = await this.#directory(ctx)
    const { toConnectorError } = await google()
    return perMailbox(
      addresses.map((mailbox) => ({ mailbox })),
      async ({ mailbox }) => {
        const members = new Set<string>()
        let pageToken: string | undefined
        do {
          let page: admin_directory_v1.Schema$Members
          try {
            page = (
              await dir.members.list({ groupKey: mailbox, includeDerivedMembership: true, maxResults: 200, pageToken })
            ).data
          } catch (err) {
            const e = toConnectorError(err, `members.list for ${mailbox}`)
            if (e.kind === 'not_found' && members.size === 0) return null
            throw e
          }
          for (const m of page.members ?? [])
            if (m.type === 'USER' && m.email && m.status !== 'SUSPENDED') members.add(m.email.toLowerCase())
          pageToken = page.nextPageToken ?? undefined
        } while (pageToken)
        return [...members]
      },
      { signal: ctx.signal },
    )
  }

  /** Proves the delegation of both scopes: the admin's Gmail profile and labels, and a Groups read. */
  async test(ctx: CallContext) {
    const who = this.#settings.clientId ?? this.#settings.clientEmail
    const grant = (scope: string, e: ConnectorError) =>
      new ConnectorError(
        'auth',
        `${e.message}; in the Admin console (Security → API controls → Domain-wide delegation) grant client ${who} the scope ${scope}`,
      )
    // a fresh token, not a cached one: the delegation must hold now
    const box = await this.#mailbox(this.#settings.adminSubject, ctx, new Map())
    try {
      await box.call(1, 'users.getProfile', () => box.api.users.getProfile({ userId: 'me' }))
    } catch (err) {
      throw err instanceof ConnectorError && err.kind === 'auth' ? grant(GMAIL_SCOPE, err) : err
    }
    const hasLabel = (await box.quarantineLabelId(false)) !== null
    try {
      await (await this.#directory(ctx)).members.list({
        groupKey: `clawback-connection-test@${domainsOf(this.#settings)[0]}`,
        maxResults: 1,
      })
    } catch (err) {
      const e = (await google()).toConnectorError(err, 'members.list')
      if (e.kind === 'auth' && /token refused|delegation/.test(e.message)) throw grant(GROUPS_SCOPE, e)
      if (e.kind === 'auth')
        throw new ConnectorError(
          'auth',
          `${e.message}; ${this.#settings.adminSubject} may not read groups (give it the Groups Reader admin role)`,
        )
      if (e.kind !== 'not_found') throw e
    }
    return {
      message: `delegation works for ${GMAIL_SCOPE} and ${GROUPS_SCOPE}; the quarantine label ${hasLabel ? 'exists' : 'is created on the first quarantine'}`,
    }
  }
}
