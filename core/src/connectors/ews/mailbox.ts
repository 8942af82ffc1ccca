import { ConnectorError } from '../errors.ts'
import type { CallContext, MailCopy } from '../types.ts'
import type { TEwsSettings } from './manifest.ts'
import { type EwsMessage, type EwsSoap, messageError, type Node, single, x } from './soap.ts'

export type Folder = { id: string; name: string; place: MailCopy['place'] }
export type FoundItem = MailCopy & { references: string; sentAt: string | null }
const WELL_KNOWN = { inbox: 'inbox', deleteditems: 'deleted', junkemail: 'junk', sentitems: 'sent' } as const
export const DUMPSTER = 'recoverableitemsdeletions'

const PROPS = [
  'item:Subject',
  'item:DateTimeReceived',
  'item:DateTimeSent',
  'item:ParentFolderId',
  'item:InReplyTo',
  'message:IsRead',
  'message:InternetMessageId',
  'message:From',
  'message:References',
]
  .map((f) => `<t:FieldURI FieldURI="${f}"/>`)
  .join('')

export const constant = (field: string, op: string, value: string) =>
  `<t:${op}><t:FieldURI FieldURI="${field}"/><t:FieldURIOrConstant><t:Constant Value="${x(value)}"/></t:FieldURIOrConstant></t:${op}>`

/** PidTagInternetMessageId (0x1035, String): the Message-ID as the store keeps it. */
export const byMessageId = (messageId: string) =>
  `<t:IsEqualTo><t:ExtendedFieldURI PropertyTag="0x1035" PropertyType="String"/><t:FieldURIOrConstant><t:Constant Value="${x(messageId)}"/></t:FieldURIOrConstant></t:IsEqualTo>`

/**
 * One mailbox over EWS: its folders (the whole tree under the mailbox root, the well-known ones
 * recognised, Recoverable Items\Deletions when reachable), searches, moves, and the hidden
 * quarantine folder. Every operation names the mailbox (ExchangeImpersonation, or the Mailbox
 * element of a distinguished folder under delegation).
 */
export class EwsMailbox {
  readonly address: string
  readonly #soap: EwsSoap
  readonly #settings: TEwsSettings
  readonly #ctx: CallContext
  #folders?: { folders: Folder[]; unreachable: string[] }

  constructor(address: string, soap: EwsSoap, settings: TEwsSettings, ctx: CallContext) {
    this.address = address
    this.#soap = soap
    this.#settings = settings
    this.#ctx = ctx
  }

  call(operation: string, body: string) {
    return this.#soap.call(this.#ctx, operation, body, this.address)
  }

  distinguished(id: string) {
    const mailbox =
      this.#settings.accessMode === 'delegation'
        ? `<t:Mailbox><t:EmailAddress>${x(this.address)}</t:EmailAddress></t:Mailbox>`
        : ''
    return `<t:DistinguishedFolderId Id="${id}">${mailbox}</t:DistinguishedFolderId>`
  }

  /** Every mail folder, each with its place; a folder the permissions cannot reach is listed in `unreachable`. */
  async folders() {
    if (this.#folders) return this.#folders
    const shape =
      '<m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:DisplayName"/></t:AdditionalProperties></m:FolderShape>'
    const ids = [...Object.keys(WELL_KNOWN), DUMPSTER]
    const got = await this.call(
      'GetFolder',
      `<m:GetFolder>${shape}<m:FolderIds>${ids.map((i) => this.distinguished(i)).join('')}</m:FolderIds></m:GetFolder>`,
    )
    const places = new Map<string, MailCopy['place']>()
    const folders: Folder[] = []
    const unreachable: string[] = []
    got.forEach((m: EwsMessage, i: number) => {
      const f = m.Folders?.Folder?.[0]
      if (m['@ResponseClass'] === 'Error' || !f) {
        const err = messageError(m)
        if (err.kind === 'not_found' && i < 4) throw err // the mailbox itself
        if (ids[i] === DUMPSTER && err.kind !== 'rate_limited' && err.kind !== 'unavailable') unreachable.push(DUMPSTER)
        else throw err
        return
      }
      if (ids[i] === DUMPSTER)
        folders.push({ id: f.FolderId['@Id'], name: String(f.DisplayName ?? 'Deletions'), place: 'recoverable' })
      else places.set(f.FolderId['@Id'], WELL_KNOWN[ids[i] as keyof typeof WELL_KNOWN])
    })
    const quarantine = await this.quarantineFolder(false)
    for (let offset = 0; ; ) {
      const page = single(
        await this.call(
          'FindFolder',
          `<m:FindFolder Traversal="Deep">${shape}<m:IndexedPageFolderView MaxEntriesReturned="500" Offset="${offset}" BasePoint="Beginning"/><m:ParentFolderIds>${this.distinguished('msgfolderroot')}</m:ParentFolderIds></m:FindFolder>`,
        ),
      )
      const list: Node[] = page.RootFolder?.Folders?.Folder ?? []
      for (const f of list) {
        const id = f.FolderId['@Id']
        folders.push({
          id,
          name: String(f.DisplayName ?? ''),
          place: id === quarantine ? 'quarantine' : (places.get(id) ?? 'folder'),
        })
      }
      offset += list.length
      if (page.RootFolder?.['@IncludesLastItemInRange'] !== 'false' || list.length === 0) break
    }
    this.#folders = { folders, unreachable }
    return this.#folders
  }

  /** The hidden quarantine folder's id under the mailbox root; created (PR_ATTR_HIDDEN 0x10F4 = true) when `create`. */
  async quarantineFolder(create: boolean): Promise<string | null> {
    const name = this.#settings.quarantineFolderName
    const found = single(
      await this.call(
        'FindFolder',
        `<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:Restriction>${constant('folder:DisplayName', 'IsEqualTo', name)}</m:Restriction><m:ParentFolderIds>${this.distinguished('msgfolderroot')}</m:ParentFolderIds></m:FindFolder>`,
      ),
    ).RootFolder?.Folders?.Folder?.[0]
    if (found || !create) return found?.FolderId?.['@Id'] ?? null
    const created = single(
      await this.call(
        'CreateFolder',
        `<m:CreateFolder><m:ParentFolderId>${this.distinguished('msgfolderroot')}</m:ParentFolderId><m:Folders><t:Folder><t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>${x(name)}</t:DisplayName><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x10F4" PropertyType="Boolean"/><t:Value>true</t:Value></t:ExtendedProperty></t:Folder></m:Folders></m:CreateFolder>`,
      ),
    )
    return created.Folders.Folder[0].FolderId['@Id']
  }

  /** Items matching `restriction` in the given folders (FindItem accepts several parent folders; Shallow in each). */
  async findItems(folders: Folder[], restriction: string): Promise<FoundItem[]> {
    const copies: FoundItem[] = []
    for (let i = 0; i < folders.length; i += 50) {
      const batch = folders.slice(i, i + 50)
      const answers = await this.call(
        'FindItem',
        `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>${PROPS}</t:AdditionalProperties></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="1000" Offset="0" BasePoint="Beginning"/><m:Restriction>${restriction}</m:Restriction><m:ParentFolderIds>${batch.map((f) => `<t:FolderId Id="${x(f.id)}"/>`).join('')}</m:ParentFolderIds></m:FindItem>`,
      )
      answers.forEach((m: EwsMessage, k: number) => {
        if (m['@ResponseClass'] === 'Error') throw messageError(m)
        for (const item of m.RootFolder?.Items?.Message ?? []) copies.push(this.copyOf(item, batch[k]!))
      })
    }
    return copies
  }

  copyOf(item: Node, folder: Folder): FoundItem {
    return {
      mailbox: this.address,
      providerId: item.ItemId[0]['@Id'],
      folderId: folder.id,
      folderName: folder.name,
      place: folder.place,
      isRead: item.IsRead === 'true',
      internetMessageId: item.InternetMessageId ?? null,
      subject: String(item.Subject ?? ''),
      from: String(item.From?.Mailbox?.[0]?.EmailAddress ?? ''),
      receivedAt: item.DateTimeReceived ?? null,
      references: `${item.References ?? ''} ${item.InReplyTo ?? ''}`,
      sentAt: item.DateTimeSent ?? null,
    }
  }

  /** Moves an item; answers its new id (EWS ids change on a move). */
  async move(itemId: string, folderId: string): Promise<string> {
    const m = single(
      await this.call(
        'MoveItem',
        `<m:MoveItem><m:ToFolderId><t:FolderId Id="${x(folderId)}"/></m:ToFolderId><m:ItemIds><t:ItemId Id="${x(itemId)}"/></m:ItemIds><m:ReturnNewItemIds>true</m:ReturnNewItemIds></m:MoveItem>`,
      ),
    )
    const id = m.Items?.Message?.[0]?.ItemId?.[0]?.['@Id']
    if (!id) throw new ConnectorError('unavailable', 'ews: MoveItem answered no new item id')
    return id
  }

  async setRead(itemId: string, isRead: boolean) {
    single(
      await this.call(
        'UpdateItem',
        `<m:UpdateItem MessageDisposition="SaveOnly" ConflictResolution="AlwaysOverwrite" SuppressReadReceipts="true"><m:ItemChanges><t:ItemChange><t:ItemId Id="${x(itemId)}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="message:IsRead"/><t:Message><t:IsRead>${isRead}</t:IsRead></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
      ),
    )
  }

  /** The To/Cc/Bcc addresses of items (GetItem: FindItem cannot return recipients). */
  async recipients(itemId: string): Promise<string[]> {
    const props = ['message:ToRecipients', 'message:CcRecipients', 'message:BccRecipients']
      .map((f) => `<t:FieldURI FieldURI="${f}"/>`)
      .join('')
    const m = single(
      await this.call(
        'GetItem',
        `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>${props}</t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="${x(itemId)}"/></m:ItemIds></m:GetItem>`,
      ),
    )
    const item = m.Items?.Message?.[0] ?? {}
    return ['ToRecipients', 'CcRecipients', 'BccRecipients'].flatMap((k) =>
      (item[k]?.Mailbox ?? []).map((mb: Node) => String(mb.EmailAddress ?? '').toLowerCase()).filter(Boolean),
    )
  }
}
