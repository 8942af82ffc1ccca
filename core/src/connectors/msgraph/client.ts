import { ConnectorError } from '../errors.ts'
import type {
  CallContext,
  Connector,
  DirectoryExpand,
  MailboxReader,
  MailCopy,
  MailForward,
  MailFound,
  MailLocator,
  MailRead,
  MailRemediate,
  MailSearch,
  PerItem,
} from '../types.ts'
import { openGraphMailbox } from './mailbox-reader.ts'
import { manifest, type TGraphSettings } from './manifest.ts'
import { accessHint, answerError, collectPages, odataString, userPath } from './paging.ts'
import { quarantine, restore } from './remediate.ts'
import { type FolderMap, findForwards, findMessages, RECOVERABLE } from './search.ts'
import { type GraphLimits, type GraphOp, GraphTransport } from './transport.ts'

/**
 * Microsoft 365 through Microsoft Graph v1.0 with app-only auth (client credentials). Bulk calls go
 * out as `$batch` members within Graph's per-mailbox limits (transport.ts); every call asks for
 * immutable ids, so a copy's `providerId` survives the moves of quarantine and restore.
 */
export class GraphConnector implements Connector, MailSearch, MailRemediate, MailRead, DirectoryExpand {
  readonly manifest = manifest
  readonly #settings: TGraphSettings
  readonly #folders = new Map<string, FolderMap>()
  readonly transport: GraphTransport

  constructor(settings: TGraphSettings, secrets: Record<string, string>, limits?: Partial<GraphLimits>) {
    if (!secrets.clientSecret) throw new ConnectorError('auth', 'msgraph: no client secret is stored')
    this.#settings = settings
    this.transport = new GraphTransport(settings, secrets.clientSecret, limits)
  }

  /** Copies by Message-ID (or sender + subject + time window) in every folder, Recoverable Items included. */
  findMessages(queries: { mailbox: string; locator: MailLocator }[], ctx: CallContext): Promise<PerItem<MailFound>[]> {
    return findMessages(this.transport, this.#folders, this.#settings.quarantineFolderName, queries, ctx)
  }

  findForwards(
    queries: { mailbox: string; messageId: string; subject: string; after: string }[],
    ctx: CallContext,
  ): Promise<PerItem<MailForward[]>[]> {
    return findForwards(this.transport, queries, ctx)
  }

  quarantine(copies: MailCopy[], ctx: CallContext): Promise<PerItem<MailCopy>[]> {
    return quarantine(this.transport, this.#folders, this.#settings.quarantineFolderName, copies, ctx)
  }

  restore(items: { quarantined: MailCopy; original: MailCopy }[], ctx: CallContext): Promise<PerItem<MailCopy>[]> {
    return restore(this.transport, items, ctx)
  }

  /** An abuse mailbox's folder, read by delta queries (resumed from `resume`, a stored deltaLink); processed reports are moved to `processedFolder`. */
  openMailbox(
    target: { mailbox: string; folder: string; processedFolder: string },
    ctx: CallContext,
    resume?: string | null,
  ): Promise<MailboxReader> {
    return openGraphMailbox(this.transport, target, ctx, resume)
  }

  /**
   * A group is found by its mail address, then its transitive user members are listed (the
   * `microsoft.graph.user` cast needs ConsistencyLevel: eventual with $count=true), every page.
   */
  async expandGroups(addresses: string[], ctx: CallContext): Promise<PerItem<string[] | null>[]> {
    const groups = await collectPages(
      this.transport,
      addresses.map(
        (a): GraphOp => ({
          key: null,
          method: 'GET',
          url: `/groups?$filter=${encodeURIComponent(`mail eq ${odataString(a)}`)}&$select=id,mail`,
        }),
      ),
      ctx,
    )
    const ids = groups.map((g) => ('values' in g ? (g.values[0]?.id as string | undefined) : undefined))
    const wanted = ids.flatMap((id, i) => (id ? [{ i, id }] : []))
    const members = await collectPages(
      this.transport,
      wanted.map(
        ({ id }): GraphOp => ({
          key: null,
          method: 'GET',
          url: `/groups/${encodeURIComponent(id)}/transitiveMembers/microsoft.graph.user?$select=id,mail,userPrincipalName&$top=999&$count=true`,
          headers: { ConsistencyLevel: 'eventual' },
        }),
      ),
      ctx,
    )
    const byIndex = new Map(wanted.map((w, n) => [w.i, members[n]!]))
    return groups.map((g, i): PerItem<string[] | null> => {
      if ('error' in g) return { ok: false, error: g.error }
      if ('failed' in g) return { ok: false, error: answerError(g.failed, 'group look-up', 'GroupMember.Read.All') }
      const m = byIndex.get(i)
      if (!m) return { ok: true, value: null }
      if ('error' in m) return { ok: false, error: m.error }
      if ('failed' in m) return { ok: false, error: answerError(m.failed, 'group members', 'GroupMember.Read.All') }
      const mails = m.values.map((u) => (u.mail ?? u.userPrincipalName) as string | undefined).filter(Boolean)
      return { ok: true, value: [...new Set(mails as string[])] }
    })
  }

  /**
   * Gets a token, lists one user (User.Read.All), reads a mailbox (Mail.ReadWrite) and one group
   * (GroupMember.Read.All). The mailbox is `testMailbox` when set: its folders and its Recoverable
   * Items are read, and a 403 there is told apart (when the first listed user's Inbox answers) as
   * an Exchange Online scope that excludes it rather than a missing permission. Without it, the
   * first listed user's Inbox. @throws ConnectorError auth naming what is missing; not_found
   */
  async test(ctx: CallContext) {
    await this.transport.token(ctx)
    const ask = async (op: GraphOp) => {
      const [a] = await this.transport.run([op], ctx)
      if (a instanceof ConnectorError) throw a
      return a!
    }
    const need = async (op: GraphOp, permission: string) => {
      const a = await ask(op)
      if (a.status === 401 || a.status === 403)
        throw new ConnectorError(
          'auth',
          `msgraph: the app lacks the application permission ${permission} (add it to the app registration and grant admin consent)`,
        )
      if (a.status !== 200) throw answerError(a, op.url)
      return a.body
    }
    const users = await need(
      { key: null, method: 'GET', url: '/users?$top=2&$select=id,userPrincipalName,mail' },
      'User.Read.All',
    )
    const user = users.value?.[0]
    if (!user) throw new ConnectorError('not_found', 'msgraph: the tenant lists no users')
    const inboxOf = (id: string): GraphOp => ({
      key: id,
      method: 'GET',
      url: `${userPath(id)}/mailFolders/inbox?$select=id`,
    })
    const probe = this.#settings.testMailbox
    let reached = `${user.userPrincipalName ?? user.id}'s Inbox`
    let recoverable = ''
    if (probe) {
      const folders = await ask({ key: probe, method: 'GET', url: `${userPath(probe)}/mailFolders?$top=10&$select=id` })
      if (folders.status === 404)
        throw new ConnectorError(
          'not_found',
          `msgraph: testMailbox ${probe}: ${folders.body?.error?.code ?? 'HTTP 404'} (no such mailbox in this tenant)`,
        )
      if (folders.status === 401 || folders.status === 403) {
        const code = folders.body?.error?.code ?? `HTTP ${folders.status}`
        // another mailbox answering tells a scope that leaves this one out from a permission not granted
        const another = (users.value as { id: string; mail?: string; userPrincipalName?: string }[]).find(
          (u) => ![u.mail, u.userPrincipalName].some((a) => a?.toLowerCase() === probe.toLowerCase()),
        )
        const other = another ? await ask(inboxOf(another.id)) : undefined
        throw new ConnectorError(
          'auth',
          other?.status === 200
            ? `msgraph: Mail.ReadWrite is granted (${another?.userPrincipalName ?? another?.id}'s Inbox answers) but ${probe} answers ${code}: an Exchange Online RBAC for Applications or Application Access Policy scope excludes it; check with Test-ServicePrincipalAuthorization -Identity ${this.#settings.clientId} -Resource ${probe} (or Test-ApplicationAccessPolicy -Identity ${probe} -AppId ${this.#settings.clientId}) and add the mailbox to the scope (see docs/connectors/msgraph.md)`
            : `msgraph: ${probe} answers ${code}: ${accessHint(code, 'Mail.ReadWrite', probe)}`,
        )
      }
      if (folders.status !== 200) throw answerError(folders, `folders of ${probe}`)
      const rec = await ask({
        key: probe,
        method: 'GET',
        url: `${userPath(probe)}/mailFolders/${RECOVERABLE}?$select=id`,
      })
      if (rec.status === 401 || rec.status === 403) {
        const code = rec.body?.error?.code ?? `HTTP ${rec.status}`
        throw new ConnectorError(
          'auth',
          `msgraph: ${probe}'s folders answer but its Recoverable Items (${RECOVERABLE}) answer ${code}, so messages users deleted there cannot be found or quarantined: ${accessHint(code, 'Mail.ReadWrite', probe)}`,
        )
      }
      if (rec.status === 200) recoverable = ' and its Recoverable Items'
      else if (rec.status === 400 || rec.status === 404)
        recoverable = `, not its Recoverable Items (${rec.body?.error?.code ?? `HTTP ${rec.status}`}: messages deleted there cannot be quarantined)`
      else throw answerError(rec, `Recoverable Items of ${probe}`)
      reached = `${probe}'s folders${recoverable}`
    } else await need(inboxOf(user.id), 'Mail.ReadWrite')
    await need({ key: null, method: 'GET', url: '/groups?$top=1&$select=id' }, 'GroupMember.Read.All')
    return {
      message: `token issued; read ${reached} and the groups (Mail.ReadWrite, User.Read.All, GroupMember.Read.All granted)${probe ? '' : "; set testMailbox to also check a mailbox's Recoverable Items"}`,
    }
  }
}
