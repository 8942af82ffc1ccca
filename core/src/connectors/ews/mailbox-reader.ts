import { ConnectorError } from '../errors.ts'
import type { CallContext, MailboxReader } from '../types.ts'
import { constant, type EwsMailbox } from './mailbox.ts'
import { type EwsMessage, messageError, type Node, single, x } from './soap.ts'

/** distinguished folder ids a source may name as its folder */
const DISTINGUISHED = new Set(['inbox', 'junkemail', 'deleteditems', 'archiveinbox'])
/** items a GetItem (MIME) or MoveItem names at once */
const CHUNK = 50

const textOf = (v: Node): string => (v && typeof v === 'object' ? String(v['#text'] ?? '') : String(v ?? ''))
const isGone = (m: EwsMessage) => textOf(m.ResponseCode) === 'ErrorItemNotFound'

/**
 * Opens an abuse mailbox's folder on Exchange for the poller (`mail.read`), as the connector's
 * account (impersonation or full access). The folder is a distinguished one (`inbox`, `junkemail`)
 * or a folder of that display name under the mailbox root. What waits: FindItem (Shallow,
 * IdOnly + DateTimeReceived) paged by IndexedPageItemView, oldest first; a report's bytes: GetItem
 * with IncludeMimeContent (base64); processed reports are moved by MoveItem to `processedFolder`
 * (found by name under the root, else created visible). Keys are ItemIds, which stay while the item
 * stays in the folder (a move gives a new one), so a report recorded before a crash is found under
 * its key and only moved. EWS streaming notifications need a held connection per mailbox and are
 * not used: mode `poll`. @throws ConnectorError
 */
export const openEwsMailbox = async (
  box: EwsMailbox,
  target: { folder: string; processedFolder: string },
  ctx: CallContext,
): Promise<MailboxReader> => {
  const folderRef = async (name: string, create: boolean): Promise<string> => {
    if (DISTINGUISHED.has(name.toLowerCase())) return box.distinguished(name.toLowerCase())
    const found = single(
      await box.call(
        'FindFolder',
        `<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:Restriction>${constant('folder:DisplayName', 'IsEqualTo', name)}</m:Restriction><m:ParentFolderIds>${box.distinguished('msgfolderroot')}</m:ParentFolderIds></m:FindFolder>`,
      ),
    ).RootFolder?.Folders?.Folder?.[0]?.FolderId?.['@Id']
    if (found) return `<t:FolderId Id="${x(found)}"/>`
    if (!create) throw new ConnectorError('not_found', `ews: ${box.address} has no folder ${name}`)
    const made = single(
      await box.call(
        'CreateFolder',
        `<m:CreateFolder><m:ParentFolderId>${box.distinguished('msgfolderroot')}</m:ParentFolderId><m:Folders><t:Folder><t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>${x(name)}</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>`,
      ),
    )
    return `<t:FolderId Id="${x(made.Folders.Folder[0].FolderId['@Id'])}"/>`
  }
  const source = await folderRef(target.folder, false)
  let processed: string | undefined

  const list = async () => {
    const items: [string, string][] = []
    for (let offset = 0; ; ) {
      const page = single(
        await box.call(
          'FindItem',
          `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:DateTimeReceived"/></t:AdditionalProperties></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="1000" Offset="${offset}" BasePoint="Beginning"/><m:ParentFolderIds>${source}</m:ParentFolderIds></m:FindItem>`,
        ),
      )
      const got: Node[] = page.RootFolder?.Items?.Message ?? []
      for (const m of got) items.push([m.ItemId[0]['@Id'], String(m.DateTimeReceived ?? '')])
      offset += got.length
      if (page.RootFolder?.['@IncludesLastItemInRange'] !== 'false' || got.length === 0) break
    }
    return items.sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]))
  }
  await list() // the folder is reachable (a distinguished one was not looked up yet)

  return {
    mode: 'poll',
    pending: async (limit) => {
      const items = await list()
      return { keys: items.slice(0, limit).map(([id]) => id), backlog: items.length }
    },
    fetch: async (keys) => {
      const out = new Map<string, Buffer>()
      for (let i = 0; i < keys.length; i += CHUNK) {
        const chunk = keys.slice(i, i + CHUNK)
        const answers = await box.call(
          'GetItem',
          `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape><m:ItemIds>${chunk.map((id) => `<t:ItemId Id="${x(id)}"/>`).join('')}</m:ItemIds></m:GetItem>`,
        )
        answers.forEach((m: EwsMessage, k: number) => {
          if (m['@ResponseClass'] === 'Error') {
            if (isGone(m)) return // moved or deleted meanwhile
            throw messageError(m)
          }
          const mime = textOf(m.Items?.Message?.[0]?.MimeContent)
          if (mime) out.set(chunk[k]!, Buffer.from(mime, 'base64'))
        })
      }
      return out
    },
    markProcessed: async (keys) => {
      if (keys.length === 0) return
      processed ??= await folderRef(target.processedFolder, true)
      for (let i = 0; i < keys.length; i += CHUNK) {
        const answers = await box.call(
          'MoveItem',
          `<m:MoveItem><m:ToFolderId>${processed}</m:ToFolderId><m:ItemIds>${keys
            .slice(i, i + CHUNK)
            .map((id) => `<t:ItemId Id="${x(id)}"/>`)
            .join('')}</m:ItemIds><m:ReturnNewItemIds>false</m:ReturnNewItemIds></m:MoveItem>`,
        )
        for (const m of answers as EwsMessage[])
          if (m['@ResponseClass'] === 'Error' && !isGone(m)) throw messageError(m)
      }
    },
    waitForMail: (ms) =>
      new Promise<void>((resolve) => {
        if (ctx.signal.aborted) return resolve()
        const timer = setTimeout(done, ms)
        function done() {
          clearTimeout(timer)
          ctx.signal.removeEventListener('abort', done)
          resolve()
        }
        ctx.signal.addEventListener('abort', done, { once: true })
      }),
    close: async () => {},
  }
}
