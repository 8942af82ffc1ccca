import { ConnectorError } from '../errors.ts'
import type { CallContext, MailboxReader } from '../types.ts'
import { answerError, odataString, relativeLink, userPath } from './paging.ts'
import { type GraphBody, type GraphOp, type GraphTransport, IMMUTABLE } from './transport.ts'

const PERMISSION = 'Mail.ReadWrite'
/** Graph's well-known folder names (https://learn.microsoft.com/graph/api/resources/mailfolder) a source may name. */
const WELL_KNOWN = new Set(['inbox', 'junkemail', 'archive', 'deleteditems', 'clutter', 'conversationhistory'])
/** delta pages this large (`Prefer: odata.maxpagesize`); the Prefer header also asks for immutable ids */
const DELTA_PREFER = `${IMMUTABLE}, odata.maxpagesize=200`

const one = async (transport: GraphTransport, op: GraphOp, ctx: CallContext) => {
  const [a] = await transport.run([op], ctx)
  if (a instanceof ConnectorError) throw a
  return a!
}

/**
 * A folder's id: a well-known name as itself, else the top-level folder of that display name;
 * `create` makes a missing one (a 409 ErrorFolderExists from a concurrent creation is looked up again).
 * @throws ConnectorError not_found (no such folder, unless created), auth (Mail.ReadWrite), …
 */
const folderId = async (
  transport: GraphTransport,
  mailbox: string,
  name: string,
  create: boolean,
  ctx: CallContext,
): Promise<string> => {
  const base = `${userPath(mailbox)}/mailFolders`
  if (WELL_KNOWN.has(name.toLowerCase())) {
    const a = await one(
      transport,
      { key: mailbox, method: 'GET', url: `${base}/${name.toLowerCase()}?$select=id` },
      ctx,
    )
    if (a.status !== 200) throw answerError(a, `folder ${name} of ${mailbox}`, PERMISSION)
    return a.body.id
  }
  for (let pass = 0; pass < 2; pass++) {
    const filter = encodeURIComponent(`displayName eq ${odataString(name)}`)
    const found = await one(
      transport,
      { key: mailbox, method: 'GET', url: `${base}?$filter=${filter}&includeHiddenFolders=true&$select=id` },
      ctx,
    )
    if (found.status !== 200) throw answerError(found, `folders of ${mailbox}`, PERMISSION)
    if (found.body.value?.[0]) return found.body.value[0].id
    if (!create) throw new ConnectorError('not_found', `msgraph: ${mailbox} has no folder ${name}`)
    const made = await one(transport, { key: mailbox, method: 'POST', url: base, body: { displayName: name } }, ctx)
    if (made.status === 201) return made.body.id
    if (made.status !== 409) throw answerError(made, `creating folder ${name} of ${mailbox}`, PERMISSION)
  }
  throw new ConnectorError('unavailable', `msgraph: folder ${name} of ${mailbox} not settled`)
}

/** The deltaLink of a stored resume point, if it was taken on this mailbox's folder (else the folder is listed afresh). */
const resumedLink = (resume: string | null | undefined, mailbox: string, folder: string): string | null => {
  if (!resume) return null
  try {
    const r = JSON.parse(resume) as { mailbox?: unknown; folder?: unknown; deltaLink?: unknown }
    return r.mailbox === mailbox && r.folder === folder && typeof r.deltaLink === 'string' ? r.deltaLink : null
  } catch {
    return null
  }
}

/**
 * Opens an abuse mailbox's folder on Microsoft 365 for the poller (`mail.read`). Keys are immutable
 * message ids (every call sends `Prefer: IdType="ImmutableId"`), so a key recorded before a crash
 * still names the message. What waits is kept by a delta query on the folder
 * (https://learn.microsoft.com/graph/delta-query-messages): the first round lists the folder, each
 * later one only what entered or left it; a delta token Graph no longer knows (410) starts over.
 * `resumePoint()` is the deltaLink once everything it covers is processed (the poller stores it per
 * source); a reader opened with it (`resume`, only if it is this folder's delta link) starts there,
 * so a restart reads only what came since: no full listing, and nothing missed, because what was
 * in the folder at that point had all been moved out. Bytes come from `$value` (base64 in `$batch`).
 * Graph pushes nothing here (change notifications need a public HTTPS endpoint): mode `poll`.
 * @throws ConnectorError
 */
export const openGraphMailbox = async (
  transport: GraphTransport,
  target: { mailbox: string; folder: string; processedFolder: string },
  ctx: CallContext,
  resume?: string | null,
): Promise<MailboxReader> => {
  const mailbox = target.mailbox
  const source = await folderId(transport, mailbox, target.folder, false, ctx)
  let processed: string | undefined
  /** id → receivedDateTime of what waits in the folder */
  const waiting = new Map<string, string>()
  let deltaLink = resumedLink(resume, mailbox, source)

  const sync = async () => {
    let url =
      deltaLink ??
      `${userPath(mailbox)}/mailFolders/${encodeURIComponent(source)}/messages/delta?$select=id,receivedDateTime`
    for (;;) {
      const a = await one(transport, { key: mailbox, method: 'GET', url, headers: { Prefer: DELTA_PREFER } }, ctx)
      if (a.status === 410) {
        // the sync state is gone: list the folder afresh
        if (deltaLink === null) throw answerError(a, `delta of ${mailbox}`)
        deltaLink = null
        waiting.clear()
        return sync()
      }
      if (a.status !== 200) throw answerError(a, `delta of ${mailbox} ${target.folder}`, PERMISSION)
      for (const m of (a.body.value ?? []) as GraphBody[])
        if (m['@removed']) waiting.delete(m.id)
        else waiting.set(m.id, m.receivedDateTime ?? '')
      const next = a.body['@odata.nextLink']
      if (typeof next === 'string') {
        url = relativeLink(next)
        continue
      }
      const link = a.body['@odata.deltaLink']
      if (typeof link !== 'string') throw new ConnectorError('rejected', 'msgraph: delta answered no deltaLink')
      deltaLink = relativeLink(link)
      return
    }
  }
  const each = async (ops: GraphOp[], keys: string[], on: (key: string, status: number, body: GraphBody) => void) => {
    const answers = await transport.run(ops, ctx)
    answers.forEach((a, i) => {
      if (a instanceof ConnectorError) throw a
      on(keys[i]!, a.status, a.body)
    })
  }

  return {
    mode: 'poll',
    pending: async (limit) => {
      await sync()
      const keys = [...waiting]
        .sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]))
        .slice(0, limit)
        .map(([id]) => id)
      return { keys, backlog: waiting.size }
    },
    fetch: async (keys) => {
      const out = new Map<string, Buffer>()
      const ops = keys.map(
        (id): GraphOp => ({
          key: mailbox,
          method: 'GET',
          url: `${userPath(mailbox)}/messages/${encodeURIComponent(id)}/$value`,
        }),
      )
      await each(ops, keys, (id, status, body) => {
        if (status === 404)
          waiting.delete(id) // gone meanwhile
        else if (status !== 200) throw answerError({ status, body, headers: {} }, `message of ${mailbox}`, PERMISSION)
        else if (typeof body === 'string') out.set(id, Buffer.from(body, 'base64'))
        else throw new ConnectorError('rejected', `msgraph: the MIME content of a message of ${mailbox} came as JSON`)
      })
      return out
    },
    markProcessed: async (keys) => {
      if (keys.length === 0) return
      processed ??= await folderId(transport, mailbox, target.processedFolder, true, ctx)
      const ops = keys.map(
        (id): GraphOp => ({
          key: mailbox,
          method: 'POST',
          url: `${userPath(mailbox)}/messages/${encodeURIComponent(id)}/move`,
          body: { destinationId: processed },
        }),
      )
      await each(ops, keys, (id, status, body) => {
        if (status === 201 || status === 200 || status === 404) waiting.delete(id)
        else throw answerError({ status, body, headers: {} }, `moving a message of ${mailbox}`, PERMISSION)
      })
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
    resumePoint: () =>
      waiting.size === 0 && deltaLink ? JSON.stringify({ mailbox, folder: source, deltaLink }) : null,
    close: async () => {},
  }
}
