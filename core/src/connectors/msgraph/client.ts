import { ConnectorError } from '../errors.ts'
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
  PerItem,
} from '../types.ts'
import { openGraphMailbox } from './mailbox-reader.ts'
import { manifest, type TGraphSettings } from './manifest.ts'
import { answerError, collectPages, odataString } from './paging.ts'
import { quarantine, restore } from './remediate.ts'
import { type FolderMap, findForwards, findMessages } from './search.ts'
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
  findMessages(
    queries: { mailbox: string; locator: MailLocator }[],
    ctx: CallContext,
  ): Promise<PerItem<{ copies: MailCopy[]; unreachable: string[] }>[]> {
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
   * Gets a token, lists one user (User.Read.All), reads that user's Inbox (Mail.ReadWrite) and
   * one group (GroupMember.Read.All). @throws ConnectorError auth naming the missing permission
   */
  async test(ctx: CallContext) {
    await this.transport.token(ctx)
    const need = async (op: GraphOp, permission: string) => {
      const [a] = await this.transport.run([op], ctx)
      if (a instanceof ConnectorError) throw a
      if (a!.status === 401 || a!.status === 403)
        throw new ConnectorError(
          'auth',
          `msgraph: the app lacks the application permission ${permission} (add it to the app registration and grant admin consent)`,
        )
      if (a!.status !== 200) throw answerError(a!, op.url)
      return a!.body
    }
    const users = await need(
      { key: null, method: 'GET', url: '/users?$top=1&$select=id,userPrincipalName,mail' },
      'User.Read.All',
    )
    const user = users.value?.[0]
    if (!user) throw new ConnectorError('not_found', 'msgraph: the tenant lists no users')
    await need(
      { key: user.id, method: 'GET', url: `/users/${encodeURIComponent(user.id)}/mailFolders/inbox?$select=id` },
      'Mail.ReadWrite',
    )
    await need({ key: null, method: 'GET', url: '/groups?$top=1&$select=id' }, 'GroupMember.Read.All')
    return {
      message: `token issued; read ${user.userPrincipalName ?? user.id}'s Inbox and the groups (Mail.ReadWrite, User.Read.All, GroupMember.Read.All granted)`,
    }
  }
}
