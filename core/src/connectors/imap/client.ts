import type { ListResponse } from 'imapflow'
import { ConnectorError } from '../errors.ts'
import type {
  CallContext,
  Connector,
  MailboxReader,
  MailCopy,
  MailForward,
  MailLocator,
  MailRead,
  MailRemediate,
  MailSearch,
  PerItem,
} from '../types.ts'
import { openImapMailbox } from './mailbox-reader.ts'
import { type ImapSettings, manifest } from './manifest.ts'
import {
  mapLimit,
  openSession,
  parseProviderId,
  placeOf,
  providerIdOf,
  type Session,
  toConnectorError,
} from './session.ts'

type FetchedMessage = {
  uid: number
  flags?: Set<string>
  internalDate?: Date | string
  envelope?: {
    messageId?: string
    subject?: string
    date?: Date
    from?: { address?: string }[]
    to?: { address?: string }[]
    cc?: { address?: string }[]
    bcc?: { address?: string }[]
  }
}
const FETCH = { uid: true, flags: true, envelope: true, internalDate: true } as const
const DAY = 86_400_000
const day = (iso: string, plusDays = 0) => new Date(new Date(iso).getTime() + plusDays * DAY)
const iso = (d: Date | string | undefined) => (d ? new Date(d).toISOString() : null)
const sameId = (a: string | undefined, b: string) => !!a && a.trim() === b.trim()

/**
 * The `imap` connector: one session per mailbox through the master user (Dovecot `user*master`),
 * mailboxes in parallel up to `maxConnections`, a mailbox's items in order. Search covers every
 * selectable folder (Trash and Junk included; IMAP has no dumpster); quarantine is MOVE (RFC 6851)
 * into an unsubscribed folder of the same mailbox; \Seen travels with the message and is set back
 * on restore.
 */
export class ImapConnector implements Connector, MailSearch, MailRemediate, MailRead {
  readonly manifest = manifest
  readonly #s: ImapSettings
  readonly #password: string

  constructor(settings: ImapSettings, secrets: Record<string, string>) {
    this.#s = settings
    this.#password = secrets.masterPassword ?? ''
  }

  /** An abuse mailbox's folder, read through the master user (mailbox-reader.ts). */
  openMailbox(
    target: { mailbox: string; folder: string; processedFolder: string },
    ctx: CallContext,
  ): Promise<MailboxReader> {
    return openImapMailbox(this.#s, this.#password, target, ctx)
  }

  /** Answers each item in order: one session per mailbox; a refused login fails that mailbox's items only. */
  async #perMailbox<Q extends { mailbox: string }, R>(
    items: Q[],
    ctx: CallContext,
    fn: (session: Session, item: Q, folders: () => Promise<ListResponse[]>) => Promise<R>,
  ): Promise<PerItem<R>[]> {
    const out = new Array<PerItem<R>>(items.length)
    const byMailbox = new Map<string, number[]>()
    items.forEach((item, i) => {
      const key = item.mailbox.toLowerCase()
      byMailbox.set(key, [...(byMailbox.get(key) ?? []), i])
    })
    await mapLimit([...byMailbox.entries()], this.#s.maxConnections, async ([mailbox, indices]) => {
      let session: Session
      try {
        session = await openSession(this.#s, this.#password, mailbox, ctx)
      } catch (err) {
        for (const i of indices) out[i] = { ok: false, error: toConnectorError(err, mailbox) }
        return
      }
      let listed: ListResponse[] | undefined
      const folders = async () => {
        listed ??= (await session.client.list()).filter(
          (f) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent'),
        )
        return listed
      }
      try {
        for (const i of indices) {
          try {
            out[i] = { ok: true, value: await fn(session, items[i]!, folders) }
          } catch (err) {
            if (ctx.signal.aborted) throw new ConnectorError('unavailable', 'imap: aborted', { cause: err })
            out[i] = { ok: false, error: toConnectorError(err) }
          }
        }
      } finally {
        await session.close()
      }
    })
    return out
  }

  #copy(mailbox: string, folder: ListResponse, uidValidity: bigint, m: FetchedMessage): MailCopy {
    return {
      mailbox,
      providerId: providerIdOf(uidValidity, m.uid, folder.path),
      folderId: folder.path,
      folderName: folder.name,
      place: placeOf(folder, this.#s.quarantineFolder),
      isRead: m.flags?.has('\\Seen') ?? false,
      internetMessageId: m.envelope?.messageId ?? null,
      subject: m.envelope?.subject ?? '',
      from: m.envelope?.from?.[0]?.address?.toLowerCase() ?? '',
      receivedAt: iso(m.internalDate),
    }
  }

  /** Searches one folder (opened read-only) and fetches what matched. */
  async #search(session: Session, folder: ListResponse, query: object) {
    const box = await session.client.mailboxOpen(folder.path, { readOnly: true })
    const uids = await session.client.search(query, { uid: true })
    if (!uids || uids.length === 0) return { uidValidity: box.uidValidity, messages: [] as FetchedMessage[] }
    const messages = (await session.client.fetchAll(uids, FETCH, { uid: true })) as FetchedMessage[]
    return { uidValidity: box.uidValidity, messages }
  }

  /** Every copy in every selectable folder: by Message-ID (HEADER search, then exact comparison) or by sender + subject + delivery window. */
  findMessages(queries: { mailbox: string; locator: MailLocator }[], ctx: CallContext) {
    return this.#perMailbox(queries, ctx, async (session, q, folders) => {
      const loc = q.locator
      const criteria =
        loc.by === 'messageId'
          ? { header: { 'message-id': loc.messageId } }
          : { from: loc.sender, subject: loc.subject, since: day(loc.receivedFrom), before: day(loc.receivedTo, 1) }
      const copies: MailCopy[] = []
      for (const folder of await folders()) {
        const { uidValidity, messages } = await this.#search(session, folder, criteria)
        for (const m of messages) {
          const copy = this.#copy(q.mailbox, folder, uidValidity, m)
          const at = copy.receivedAt ? Date.parse(copy.receivedAt) : Number.NaN
          const isMatch =
            loc.by === 'messageId'
              ? sameId(m.envelope?.messageId, loc.messageId)
              : copy.from === loc.sender.toLowerCase() &&
                copy.subject.trim().toLowerCase() === loc.subject.trim().toLowerCase() &&
                at >= Date.parse(loc.receivedFrom) &&
                at <= Date.parse(loc.receivedTo)
          if (isMatch) copies.push(copy)
        }
      }
      return { copies, unreachable: [] as string[] }
    })
  }

  /** Messages in the Sent folder(s) whose References or In-Reply-To name the Message-ID. */
  findForwards(queries: { mailbox: string; messageId: string; subject: string; after: string }[], ctx: CallContext) {
    return this.#perMailbox(queries, ctx, async (session, q, folders) => {
      const all = await folders()
      const sent = all.filter((f) => f.specialUse === '\\Sent')
      const found: MailForward[] = []
      for (const folder of sent.length ? sent : all.filter((f) => f.name.toLowerCase() === 'sent')) {
        const { messages } = await this.#search(session, folder, {
          or: [{ header: { references: q.messageId } }, { header: { 'in-reply-to': q.messageId } }],
          since: day(q.after, -1),
        })
        for (const m of messages) {
          const e = m.envelope
          if (!e?.messageId) continue
          const recipients = [...(e.to ?? []), ...(e.cc ?? []), ...(e.bcc ?? [])]
            .map((a) => a.address?.toLowerCase())
            .filter((a): a is string => !!a)
          found.push({ messageId: e.messageId, recipients: [...new Set(recipients)], sentAt: iso(e.date) })
        }
      }
      return found
    })
  }

  /** The quarantine folder's path, created (not subscribed) when missing. */
  async #quarantineFolder(session: Session, folders: () => Promise<ListResponse[]>) {
    const path = this.#s.quarantineFolder
    if (!(await folders()).some((f) => f.path === path)) {
      await session.client.mailboxCreate(path)
      await session.client.mailboxUnsubscribe(path).catch(() => {})
    }
    return path
  }

  /** Moves one copy (checked by UIDVALIDITY) to `destination`; answers its new UID there. @throws not_found when it is gone */
  async #move(session: Session, providerId: string, destination: string) {
    const id = parseProviderId(providerId)
    const box = await session.client.mailboxOpen(id.path)
    if (String(box.uidValidity) !== id.uidValidity)
      throw new ConnectorError('not_found', `imap: ${id.path} was rebuilt (UIDVALIDITY changed); search again`)
    const moved = await session.client.messageMove(String(id.uid), destination, { uid: true })
    const uid = moved ? moved.uidMap?.get(id.uid) : undefined
    if (!moved || uid === undefined)
      throw new ConnectorError('not_found', `imap: message ${id.uid} is no longer in ${id.path}`)
    const dest = await session.client.mailboxOpen(destination)
    return { uid, uidValidity: moved.uidValidity ?? dest.uidValidity }
  }

  /** MOVE into the quarantine folder; a copy already there is answered as is. */
  quarantine(copies: MailCopy[], ctx: CallContext) {
    return this.#perMailbox(copies, ctx, async (session, copy, folders) => {
      if (copy.place === 'quarantine') return copy
      const path = await this.#quarantineFolder(session, folders)
      const { uid, uidValidity } = await this.#move(session, copy.providerId, path)
      return {
        ...copy,
        providerId: providerIdOf(uidValidity, uid, path),
        folderId: path,
        folderName: path.split('/').at(-1) ?? path,
        place: 'quarantine' as const,
      }
    })
  }

  /** MOVE back into the original folder (created again if the user removed it), then \Seen as it was. */
  restore(items: { quarantined: MailCopy; original: MailCopy }[], ctx: CallContext) {
    return this.#perMailbox(
      items.map((i) => ({ ...i, mailbox: i.quarantined.mailbox })),
      ctx,
      async (session, { quarantined, original }, folders) => {
        if (quarantined.place !== 'quarantine') return quarantined
        const target = original.folderId
        if (!(await folders()).some((f) => f.path === target)) await session.client.mailboxCreate(target)
        const { uid, uidValidity } = await this.#move(session, quarantined.providerId, target)
        if (original.isRead) await session.client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true })
        else await session.client.messageFlagsRemove(String(uid), ['\\Seen'], { uid: true })
        return {
          ...quarantined,
          providerId: providerIdOf(uidValidity, uid, target),
          folderId: target,
          folderName: original.folderName,
          place: original.place,
          isRead: original.isRead,
        }
      },
    )
  }

  /** Logs in as the test mailbox through the master user and names what is missing (MOVE, UIDPLUS, SPECIAL-USE). */
  async test(ctx: CallContext) {
    const mailbox = this.#s.testMailbox
    if (!mailbox)
      throw new ConnectorError('rejected', 'imap: set testMailbox (a mailbox to log into) to test the master login')
    const session = await openSession(this.#s, this.#password, mailbox, ctx).catch((err: ConnectorError) => {
      if (err.kind !== 'not_found') throw err
      throw new ConnectorError(
        'auth',
        `imap: login to ${mailbox} as ${this.#s.masterUser} refused: check the master user, its password, the separator and that the mailbox exists`,
      )
    })
    try {
      const caps = session.client.capabilities
      const missing = ['MOVE', 'UIDPLUS', 'SPECIAL-USE'].filter((c) => !caps.has(c))
      if (missing.length)
        throw new ConnectorError(
          'rejected',
          `imap: the server lacks ${missing.join(', ')} (needed to move and track messages)`,
        )
      const folders = await session.client.list()
      const has = (use: string) => folders.some((f) => f.specialUse === use)
      const notes = [
        !has('\\Trash') && 'no \\Trash folder',
        !has('\\Sent') && 'no \\Sent folder (forwards cannot be followed)',
      ]
        .filter(Boolean)
        .join('; ')
      return {
        message: `logged in to ${mailbox} as ${this.#s.masterUser}; ${folders.length} folders${notes ? `; ${notes}` : ''}`,
      }
    } finally {
      await session.close()
    }
  }
}
