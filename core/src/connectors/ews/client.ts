import { ConnectorError } from '../errors.ts'
import { addressOf, isForwardOf, perMailbox } from '../per-mailbox.ts'
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
import { byMessageId, constant, DUMPSTER, EwsMailbox, type Folder, type FoundItem } from './mailbox.ts'
import { openEwsMailbox } from './mailbox-reader.ts'
import { manifest, type TEwsSettings } from './manifest.ts'
import { EwsSoap, messageError, type Node, x } from './soap.ts'

const restrictionFor = (locator: MailLocator) =>
  locator.by === 'messageId'
    ? byMessageId(locator.messageId.trim())
    : `<t:And>${constant('item:Subject', 'IsEqualTo', locator.subject)}${constant('item:DateTimeReceived', 'IsGreaterThanOrEqualTo', new Date(locator.receivedFrom).toISOString())}${constant('item:DateTimeReceived', 'IsLessThanOrEqualTo', new Date(locator.receivedTo).toISOString())}</t:And>`

const strip = ({ references: _r, sentAt: _s, ...copy }: FoundItem): MailCopy => copy

/**
 * Exchange 2013–2019 over EWS SOAP (hand-written envelopes, fast-xml-parser answers, Basic auth
 * over `ctx.http`), by impersonation or full-access delegation. Quarantine = a MoveItem into a
 * hidden folder under the mailbox root; restore = MoveItem back + UpdateItem IsRead.
 */
export class EwsConnector implements Connector, MailSearch, MailRemediate, MailRead, DirectoryExpand {
  readonly manifest = manifest
  readonly #settings: TEwsSettings
  readonly #soap: EwsSoap
  readonly #domains: string[]

  constructor(settings: TEwsSettings, secrets: Record<string, string>) {
    if (!secrets.password) throw new ConnectorError('auth', 'ews: no service account password is stored')
    this.#settings = settings
    this.#soap = new EwsSoap(settings, secrets.password)
    this.#domains = settings.domains.split(',').map((d) => d.trim().toLowerCase())
  }

  #mailbox(address: string, ctx: CallContext) {
    if (!this.#domains.includes(address.split('@')[1]?.toLowerCase() ?? ''))
      throw new ConnectorError('rejected', `ews: ${address} is not in the connector's domains`)
    return new EwsMailbox(address, this.#soap, this.#settings, ctx)
  }

  /** An abuse mailbox's folder, polled with FindItem; processed reports are moved to `processedFolder`. */
  openMailbox(
    target: { mailbox: string; folder: string; processedFolder: string },
    ctx: CallContext,
  ): Promise<MailboxReader> {
    return openEwsMailbox(this.#mailbox(target.mailbox, ctx), target, ctx)
  }

  #run<Q extends { mailbox: string }, R>(items: readonly Q[], run: (q: Q) => Promise<R>, ctx: CallContext) {
    return perMailbox(items, run, { signal: ctx.signal, concurrency: this.#settings.maxConcurrency })
  }

  /** Every mail folder (Deleted Items included), Recoverable Items\Deletions where reachable, and the quarantine folder. */
  async findMessages(queries: { mailbox: string; locator: MailLocator }[], ctx: CallContext) {
    return this.#run(
      queries,
      async ({ mailbox, locator }) => {
        const box = this.#mailbox(mailbox, ctx)
        const { folders, unreachable } = await box.folders()
        const found = await box.findItems(folders, restrictionFor(locator))
        const copies = found
          .filter((c) => locator.by === 'messageId' || addressOf(c.from) === locator.sender.toLowerCase())
          .map(strip)
        const why =
          this.#settings.accessMode === 'impersonation'
            ? 'Exchange refused it to the impersonating account (see docs/connectors/ews.md)'
            : 'Exchange refuses it to full-access delegation; switch accessMode to impersonation and assign ApplicationImpersonation (see docs/connectors/ews.md)'
        return { copies, unreachable, ...(unreachable.length ? { unreachableWhy: why } : {}) }
      },
      ctx,
    )
  }

  /** Sent Items since `after`: References/In-Reply-To naming the message, or a forward's subject. */
  async findForwards(
    queries: { mailbox: string; messageId: string; subject: string; after: string }[],
    ctx: CallContext,
  ) {
    return this.#run(
      queries,
      async (q) => {
        const box = this.#mailbox(q.mailbox, ctx)
        const sent = (await box.folders()).folders.filter((f) => f.place === 'sent')
        const items = await box.findItems(
          sent,
          constant('item:DateTimeSent', 'IsGreaterThanOrEqualTo', new Date(q.after).toISOString()),
        )
        const id = q.messageId.trim().toLowerCase()
        const out: MailForward[] = []
        for (const item of items) {
          if (!item.references.toLowerCase().includes(id) && !isForwardOf(item.subject, q.subject)) continue
          out.push({
            messageId: item.internetMessageId ?? `<ews-${item.providerId}>`,
            recipients: [...new Set(await box.recipients(item.providerId))],
            sentAt: item.sentAt,
          })
        }
        return out
      },
      ctx,
    )
  }

  /** MoveItem into the hidden folder (created the first time); a copy already moved is found there by Message-ID. */
  async quarantine(copies: MailCopy[], ctx: CallContext) {
    return this.#run(
      copies,
      async (copy) => {
        if (copy.place === 'quarantine') return copy
        const box = this.#mailbox(copy.mailbox, ctx)
        const folderId = (await box.quarantineFolder(true))!
        const folder: Folder = { id: folderId, name: this.#settings.quarantineFolderName, place: 'quarantine' }
        try {
          const id = await box.move(copy.providerId, folderId)
          return { ...copy, providerId: id, folderId, folderName: folder.name, place: 'quarantine' as const }
        } catch (err) {
          const already = await this.#movedEarlier(box, err, copy, folder)
          if (already) return already
          throw err
        }
      },
      ctx,
    )
  }

  /** MoveItem back to the original's folder (Deleted Items and the dumpster included) and UpdateItem IsRead. */
  async restore(items: { quarantined: MailCopy; original: MailCopy }[], ctx: CallContext) {
    return this.#run(
      items.map((i) => ({ ...i, mailbox: i.quarantined.mailbox })),
      async ({ quarantined, original }) => {
        const box = this.#mailbox(quarantined.mailbox, ctx)
        const home: Folder = { id: original.folderId, name: original.folderName, place: original.place }
        let id: string
        try {
          id = await box.move(quarantined.providerId, original.folderId)
        } catch (err) {
          const back = await this.#movedEarlier(box, err, original, home)
          if (!back) throw err
          id = back.providerId
        }
        await box.setRead(id, original.isRead)
        return { ...original, providerId: id }
      },
      ctx,
    )
  }

  /** After ErrorItemNotFound: the copy, when an earlier (retried) call already moved it into `folder`. */
  async #movedEarlier(box: EwsMailbox, err: unknown, copy: MailCopy, folder: Folder) {
    if (!(err instanceof ConnectorError) || err.kind !== 'not_found' || !copy.internetMessageId) return null
    const [hit] = await box.findItems([folder], byMessageId(copy.internetMessageId))
    return hit ? strip(hit) : null
  }

  /** ExpandDL, recursively for nested lists (each list once); null for an address that is no list. */
  async expandGroups(addresses: string[], ctx: CallContext) {
    const expand = async (address: string): Promise<Node[] | null> => {
      const [m] = await this.#soap.call(
        ctx,
        'ExpandDL',
        `<m:ExpandDL><m:Mailbox><t:EmailAddress>${x(address)}</t:EmailAddress></m:Mailbox></m:ExpandDL>`,
      )
      if (!m) throw new ConnectorError('unavailable', 'ews: an empty ExpandDL answer')
      if (m['@ResponseClass'] === 'Error') {
        if (/^ErrorNameResolution|^ErrorCannotExpand|^ErrorInvalidExpand/.test(m.ResponseCode)) return null
        throw messageError(m)
      }
      return m.DLExpansion?.Mailbox ?? []
    }
    return this.#run(
      addresses.map((mailbox) => ({ mailbox })),
      async ({ mailbox }) => {
        const top = await expand(mailbox)
        if (top === null) return null
        const members = new Set<string>()
        const seen = new Set([mailbox.toLowerCase()])
        const walk = async (list: Node[]) => {
          for (const mb of list) {
            const address = String(mb.EmailAddress ?? '').toLowerCase()
            if (!address) continue
            if (mb.MailboxType === 'PublicDL' || mb.MailboxType === 'PrivateDL') {
              if (seen.has(address)) continue
              seen.add(address)
              await walk((await expand(address)) ?? [])
            } else if (mb.MailboxType === 'Mailbox' || mb.MailboxType === 'Contact' || !mb.MailboxType)
              members.add(address)
          }
        }
        await walk(top)
        return [...members]
      },
      ctx,
    )
  }

  /** Opens the test mailbox's Inbox and dumpster with the access mode, naming the grant that is missing. */
  async test(ctx: CallContext) {
    const mailbox = this.#settings.testMailbox
    const box = this.#mailbox(mailbox, ctx)
    let unreachable: string[]
    try {
      ;({ unreachable } = await box.folders())
    } catch (err) {
      if (err instanceof ConnectorError && /ErrorImpersonat|ErrorAccessDenied/.test(err.message))
        throw new ConnectorError(
          'auth',
          this.#settings.accessMode === 'impersonation'
            ? `${err.message}; ${this.#settings.username} lacks the ApplicationImpersonation role over ${mailbox}: New-ManagementRoleAssignment -Name clawback-impersonation -Role ApplicationImpersonation -User ${this.#settings.username}`
            : `${err.message}; ${this.#settings.username} lacks full access to ${mailbox}: Add-MailboxPermission -Identity ${mailbox} -User ${this.#settings.username} -AccessRights FullAccess`,
        )
      throw err
    }
    return {
      message: `${this.#settings.accessMode} reaches ${mailbox}${unreachable.includes(DUMPSTER) ? ', but not its Recoverable Items (deleted messages cannot be quarantined)' : ' including Recoverable Items'}`,
    }
  }
}
