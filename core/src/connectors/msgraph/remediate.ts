import { ConnectorError } from '../errors.ts'
import type { CallContext, MailCopy, PerItem } from '../types.ts'
import { answerError, userPath } from './paging.ts'
import { type FolderMap, quarantineLookup, toCopy } from './search.ts'
import type { GraphAnswer, GraphOp, GraphTransport } from './transport.ts'

const PERMISSION = 'Mail.ReadWrite'

/**
 * The quarantine folder of each mailbox: the cached id, else found by name among hidden folders,
 * else created hidden (`isHidden` can only be set at creation); a 409 ErrorFolderExists (a
 * concurrent creation) is looked up again. Answers per mailbox the folder id or an error.
 */
const quarantineFolders = async (
  transport: GraphTransport,
  cache: Map<string, FolderMap>,
  name: string,
  mailboxes: string[],
  ctx: CallContext,
): Promise<Map<string, string | ConnectorError>> => {
  const out = new Map<string, string | ConnectorError>()
  let todo = mailboxes.filter((m) => {
    const id = cache.get(m.toLowerCase())?.quarantineId
    if (id) out.set(m, id)
    return !id
  })
  const remember = (m: string, id: string) => {
    const map: FolderMap = cache.get(m.toLowerCase()) ?? { places: new Map() }
    map.quarantineId = id
    map.places.set(id, { place: 'quarantine', name })
    cache.set(m.toLowerCase(), map)
    out.set(m, id)
  }
  for (let pass = 0; pass < 2 && todo.length; pass++) {
    const found = await transport.run(
      todo.map((m) => quarantineLookup(m, name)),
      ctx,
    )
    const missing: string[] = []
    todo.forEach((m, i) => {
      const a = found[i]!
      if (a instanceof ConnectorError) out.set(m, a)
      else if (a.status !== 200) out.set(m, answerError(a, `mailbox ${m}`, PERMISSION, m))
      else if (a.body.value?.[0]) remember(m, a.body.value[0].id)
      else missing.push(m)
    })
    const created = await transport.run(
      missing.map(
        (m): GraphOp => ({
          key: m,
          method: 'POST',
          url: `${userPath(m)}/mailFolders`,
          body: { displayName: name, isHidden: true },
        }),
      ),
      ctx,
    )
    todo = []
    missing.forEach((m, i) => {
      const a = created[i]!
      if (a instanceof ConnectorError) out.set(m, a)
      else if (a.status === 201) remember(m, a.body.id)
      else if (a.status === 409)
        todo.push(m) // created meanwhile: look it up again
      else out.set(m, answerError(a, `creating the quarantine folder of ${m}`, PERMISSION, m))
    })
  }
  for (const m of todo) out.set(m, new ConnectorError('unavailable', `msgraph: quarantine folder of ${m} not settled`))
  return out
}

const moveOp = (copy: MailCopy, destinationId: string): GraphOp => ({
  key: copy.mailbox,
  method: 'POST',
  url: `${userPath(copy.mailbox)}/messages/${encodeURIComponent(copy.providerId)}/move`,
  body: { destinationId },
})

const moved = (a: GraphAnswer | ConnectorError, copy: MailCopy): ConnectorError | GraphAnswer =>
  a instanceof ConnectorError
    ? a
    : a.status === 201 || a.status === 200
      ? a
      : answerError(a, `message ${copy.providerId} in ${copy.mailbox}`, PERMISSION, copy.mailbox)

/**
 * Moves each copy into its mailbox's hidden quarantine folder (ids stay valid: every call asks for
 * immutable ids). A copy already there is answered as is without a call.
 */
export const quarantine = async (
  transport: GraphTransport,
  cache: Map<string, FolderMap>,
  name: string,
  copies: MailCopy[],
  ctx: CallContext,
): Promise<PerItem<MailCopy>[]> => {
  const folders = await quarantineFolders(transport, cache, name, [...new Set(copies.map((c) => c.mailbox))], ctx)
  const out: PerItem<MailCopy>[] = new Array(copies.length)
  const moves: { i: number; op: GraphOp }[] = []
  copies.forEach((c, i) => {
    const f = folders.get(c.mailbox)!
    if (f instanceof ConnectorError) out[i] = { ok: false, error: f }
    else if (c.folderId === f) out[i] = { ok: true, value: { ...c, place: 'quarantine', folderName: name } }
    else moves.push({ i, op: moveOp(c, f) })
  })
  const answers = await transport.run(
    moves.map((m) => m.op),
    ctx,
  )
  moves.forEach(({ i }, n) => {
    const c = copies[i]!
    const a = moved(answers[n]!, c)
    out[i] =
      a instanceof ConnectorError
        ? { ok: false, error: a }
        : { ok: true, value: toCopy(c.mailbox, a.body, cache.get(c.mailbox.toLowerCase())) }
  })
  return out
}

/**
 * Moves each quarantined copy back to the original's folder (Deleted Items and Recoverable Items
 * included) and sets the original's read state when it differs. Moving a copy already back is a
 * no-op move, so a retried restore answers the copy as it is.
 */
export const restore = async (
  transport: GraphTransport,
  items: { quarantined: MailCopy; original: MailCopy }[],
  ctx: CallContext,
): Promise<PerItem<MailCopy>[]> => {
  const out: PerItem<MailCopy>[] = new Array(items.length)
  const answers = await transport.run(
    items.map((it) => moveOp(it.quarantined, it.original.folderId)),
    ctx,
  )
  const patches: { i: number; op: GraphOp; copy: MailCopy }[] = []
  items.forEach(({ quarantined, original }, i) => {
    const a = moved(answers[i]!, quarantined)
    if (a instanceof ConnectorError) {
      out[i] = { ok: false, error: a }
      return
    }
    const copy: MailCopy = {
      ...original,
      providerId: a.body.id,
      folderId: a.body.parentFolderId,
      isRead: a.body.isRead === true,
    }
    out[i] = { ok: true, value: copy }
    if (copy.isRead !== original.isRead)
      patches.push({
        i,
        copy,
        op: {
          key: copy.mailbox,
          method: 'PATCH',
          url: `${userPath(copy.mailbox)}/messages/${encodeURIComponent(copy.providerId)}`,
          body: { isRead: original.isRead },
        },
      })
  })
  const patched = await transport.run(
    patches.map((p) => p.op),
    ctx,
  )
  patches.forEach(({ i, copy }, n) => {
    const a = patched[n]!
    if (a instanceof ConnectorError) out[i] = { ok: false, error: a }
    else if (a.status !== 200)
      out[i] = { ok: false, error: answerError(a, `read state of ${copy.providerId}`, PERMISSION, copy.mailbox) }
    else out[i] = { ok: true, value: { ...copy, isRead: a.body.isRead === true } }
  })
  return out
}
