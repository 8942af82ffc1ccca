import { gmail, type gmail_v1 } from '@googleapis/gmail'
import type { Credentials } from 'google-auth-library'
import type { CallContext, MailCopy } from '../types.ts'
import { GMAIL_SCOPE, type TGmailSettings } from './manifest.ts'
import { acquireUnits } from './quota.ts'
import { delegatedClient, toConnectorError } from './transport.ts'

type Message = gmail_v1.Schema$Message
type Label = gmail_v1.Schema$Label

/** Labels a quarantine leaves alone: the read state and the ones Gmail does not let a modify remove. */
export const KEPT_LABELS = new Set(['UNREAD', 'SENT', 'DRAFT'])
export const HEADERS = ['Message-ID', 'Subject', 'From', 'To', 'Cc', 'Bcc', 'References', 'In-Reply-To']

/**
 * One mailbox as the service account sees it when acting as its user (domain-wide delegation):
 * each call is paced to the per-user quota first, then made, and a failure is mapped to a
 * ConnectorError naming what was asked. Tokens are shared through `tokens` across the calls of
 * one connector instance.
 */
export class GmailMailbox {
  readonly api: gmail_v1.Gmail
  readonly address: string
  readonly settings: TGmailSettings
  readonly ctx: CallContext
  readonly quotaWindowMs: number
  #labels?: Label[]

  constructor(
    address: string,
    settings: TGmailSettings,
    privateKey: string,
    ctx: CallContext,
    tokens: Map<string, Credentials>,
    quotaWindowMs: number,
  ) {
    this.address = address
    this.settings = settings
    this.ctx = ctx
    this.quotaWindowMs = quotaWindowMs
    const key = `${address}|${GMAIL_SCOPE}`
    const auth = delegatedClient(ctx, {
      clientEmail: settings.clientEmail,
      privateKey,
      subject: address,
      scope: GMAIL_SCOPE,
      tokenUrl: settings.tokenUrl,
    })
    const cached = tokens.get(key)
    if (cached) auth.setCredentials(cached)
    auth.on('tokens', (t) => tokens.set(key, { ...t, refresh_token: 'jwt-placeholder' }))
    this.api = gmail({ version: 'v1', auth, rootUrl: settings.rootUrl })
  }

  /** Spends `units` of the user's quota (waiting up to 10 s for them), then runs `fn`. */
  async call<T>(units: number, what: string, fn: () => Promise<{ data: T }>): Promise<T> {
    await acquireUnits(`${this.settings.clientEmail}|${this.address}`, units, {
      perWindow: this.settings.userQuotaUnitsPerMinute,
      windowMs: this.quotaWindowMs,
      maxWaitMs: 10_000,
      signal: this.ctx.signal,
    })
    try {
      return (await fn()).data
    } catch (err) {
      throw toConnectorError(err, `${what} for ${this.address}`)
    }
  }

  async labels(): Promise<Label[]> {
    this.#labels ??=
      (await this.call(1, 'labels.list', () => this.api.users.labels.list({ userId: 'me' }))).labels ?? []
    return this.#labels
  }

  /** The quarantine label's id, creating the label hidden (from the label list and from message lists) the first time. */
  async quarantineLabelId(create: boolean): Promise<string | null> {
    const name = this.settings.quarantineLabelName
    const found = (await this.labels()).find((l) => l.name === name)
    if (found?.id || !create) return found?.id ?? null
    const label = await this.call(5, 'labels.create', () =>
      this.api.users.labels.create({
        userId: 'me',
        requestBody: { name, labelListVisibility: 'labelHide', messageListVisibility: 'hide' },
      }),
    )
    this.#labels?.push(label)
    return label.id!
  }

  /** Every message id a search answers, over all pages. */
  async listIds(q: string): Promise<string[]> {
    const ids: string[] = []
    let pageToken: string | undefined
    do {
      const page = await this.call(5, 'messages.list', () =>
        this.api.users.messages.list({ userId: 'me', q, includeSpamTrash: true, maxResults: 100, pageToken }),
      )
      for (const m of page.messages ?? []) if (m.id) ids.push(m.id)
      pageToken = page.nextPageToken ?? undefined
    } while (pageToken)
    return ids
  }

  /** A message's labels and the headers we read (format metadata). */
  get(id: string): Promise<Message> {
    return this.call(5, 'messages.get', () =>
      this.api.users.messages.get({ userId: 'me', id, format: 'metadata', metadataHeaders: HEADERS }),
    )
  }

  modify(id: string, add: string[], remove: string[]): Promise<Message> {
    return this.call(5, 'messages.modify', () =>
      this.api.users.messages.modify({
        userId: 'me',
        id,
        requestBody: { addLabelIds: add, removeLabelIds: remove },
      }),
    )
  }

  /** The copy a message is, as the contract describes it (`folderId`: its label ids joined by ','). */
  async copyOf(m: Message): Promise<MailCopy> {
    const labelIds = m.labelIds ?? []
    const labels = await this.labels()
    const quarantine = labels.find((l) => l.name === this.settings.quarantineLabelName)?.id
    const place: MailCopy['place'] =
      quarantine && labelIds.includes(quarantine)
        ? 'quarantine'
        : labelIds.includes('TRASH')
          ? 'deleted'
          : labelIds.includes('SPAM')
            ? 'junk'
            : labelIds.includes('INBOX')
              ? 'inbox'
              : labelIds.includes('SENT')
                ? 'sent'
                : 'folder'
    const shown = labelIds.find((id) => !KEPT_LABELS.has(id) && !id.startsWith('CATEGORY_')) ?? labelIds[0] ?? ''
    return {
      mailbox: this.address,
      providerId: m.id!,
      folderId: labelIds.join(','),
      folderName: labels.find((l) => l.id === shown)?.name ?? shown,
      place,
      isRead: !labelIds.includes('UNREAD'),
      internetMessageId: header(m, 'Message-ID'),
      subject: header(m, 'Subject') ?? '',
      from: header(m, 'From') ?? '',
      receivedAt: m.internalDate ? new Date(Number(m.internalDate)).toISOString() : null,
    }
  }
}

export const header = (m: Message, name: string): string | null =>
  m.payload?.headers?.find((h) => h.name?.toLowerCase() === name.toLowerCase())?.value ?? null
