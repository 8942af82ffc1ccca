import { isIP } from 'node:net'
import { type ConnectionOptions, checkServerIdentity } from 'node:tls'
import { Client, escapeFilter, ResultCodeError } from 'ldapts'
import { ConnectorError } from '../errors.ts'
import type { CallContext, Connector, DirectoryExpand, PerItem } from '../types.ts'
import { type AdSettings, manifest } from './manifest.ts'

/** LDAP_MATCHING_RULE_IN_CHAIN: AD walks nested membership server-side. */
const IN_CHAIN = '1.2.840.113556.1.4.1941'
/** LDAP_MATCHING_RULE_BIT_AND on userAccountControl; bit 2 = ACCOUNTDISABLE. */
const DISABLED = '(userAccountControl:1.2.840.113556.1.4.803:=2)'

const TLS_CODES =
  /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|EPROTO|ALTNAME|certificate|wrong version number/i

/** Maps an ldapts / socket / TLS failure onto the connector error kinds, naming the problem. */
export const toConnectorError = (err: unknown, where: string): ConnectorError => {
  if (err instanceof ConnectorError) return err
  const e = err as Error & { code?: number | string }
  const text = (e?.message ?? String(err)).slice(0, 300)
  if (err instanceof ResultCodeError) {
    switch (err.code) {
      case 49:
        return new ConnectorError('auth', `ad: the bind DN or password was refused (49 invalidCredentials: ${text})`, {
          cause: err,
        })
      case 8:
      case 13:
        return new ConnectorError(
          'rejected',
          `ad: the server refuses a simple bind on an unprotected connection (${err.code}); use ldaps:// or StartTLS`,
          { cause: err },
        )
      case 32:
        return new ConnectorError('not_found', `ad: ${where} not found (32 noSuchObject)`, { cause: err })
      case 50:
        return new ConnectorError('rejected', `ad: the bind account may not read ${where} (50 insufficientAccess)`, {
          cause: err,
        })
      case 51:
      case 52:
        return new ConnectorError('unavailable', `ad: the server is busy or unavailable (${err.code}: ${text})`, {
          cause: err,
        })
      default:
        return new ConnectorError('rejected', `ad: ${where}: LDAP result ${err.code} (${text})`, { cause: err })
    }
  }
  if (TLS_CODES.test(String(e?.code ?? '')) || TLS_CODES.test(text))
    return new ConnectorError(
      'rejected',
      `ad: TLS failed (${e?.code ?? text}): the server certificate must name the host in the URL and chain to the configured CA certificate`,
      { cause: err },
    )
  return new ConnectorError('unavailable', `ad: ${where}: ${e?.code ? `${e.code} ` : ''}${text}`, { cause: err })
}

const first = (v: Buffer | Buffer[] | string | string[] | undefined): string | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? (v[0] === undefined ? undefined : String(v[0])) : String(v)
const all = (v: Buffer | Buffer[] | string | string[] | undefined): string[] =>
  v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String)

/**
 * Active Directory over LDAP (ldapts). Every call opens one connection to the address the egress
 * policy allowed (TLS verified against the configured host name), binds, works, and unbinds.
 */
export class AdConnector implements Connector, DirectoryExpand {
  readonly manifest = manifest
  readonly #settings: AdSettings
  readonly #password: string

  constructor(settings: AdSettings, secrets: Record<string, string>) {
    this.#settings = settings
    this.#password = secrets.bindPassword ?? ''
  }

  /** Connects, (StartTLS,) binds, runs `work`, always unbinds. Aborting the signal closes the socket. */
  async #session<T>(ctx: CallContext, work: (client: Client) => Promise<T>): Promise<T> {
    const s = this.#settings
    const url = new URL(s.url)
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const isLdaps = url.protocol === 'ldaps:'
    const port = url.port ? Number(url.port) : isLdaps ? 636 : 389
    const { address, family } = await ctx.resolve(host)
    const tlsOptions: ConnectionOptions = {
      ...(isIP(host) ? {} : { servername: host }),
      checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert),
      rejectUnauthorized: !s.tlsInsecure,
      minVersion: 'TLSv1.2',
      ...(s.caCertificate ? { ca: [s.caCertificate] } : {}),
    }
    const ms = s.timeoutSeconds * 1000
    const client = new Client({
      url: `${isLdaps ? 'ldaps' : 'ldap'}://${family === 6 ? `[${address}]` : address}:${port}`,
      timeout: ms,
      connectTimeout: ms,
      // ldapts speaks implicit TLS whenever tlsOptions are given: ldap:// gets them at StartTLS only
      ...(isLdaps ? { tlsOptions } : {}),
    })
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        reject(new ConnectorError('unavailable', 'ad: aborted'))
        void client.unbind().catch(() => {})
      }
      if (ctx.signal.aborted) onAbort()
      else ctx.signal.addEventListener('abort', onAbort, { once: true })
    })
    aborted.catch(() => {})
    const run = async () => {
      try {
        if (!isLdaps && s.startTls) await client.startTLS(tlsOptions)
      } catch (err) {
        throw toConnectorError(err, 'StartTLS')
      }
      try {
        await client.bind(s.bindDn, this.#password)
      } catch (err) {
        throw toConnectorError(err, 'bind')
      }
      if (ctx.signal.aborted) throw new ConnectorError('unavailable', 'ad: aborted')
      return await work(client)
    }
    const running = run()
    running.catch(() => {}) // after an abort its failure is no one's business: the race answered already
    try {
      return await Promise.race([running, aborted])
    } finally {
      ctx.signal.removeEventListener('abort', onAbort!)
      await client.unbind().catch(() => {})
    }
  }

  /** The DNs of the groups whose mail or proxyAddresses (smtp:) is `address`. */
  async #groupsOf(client: Client, address: string): Promise<string[]> {
    const { searchEntries } = await client.search(this.#settings.baseDn, {
      scope: 'sub',
      filter: escapeFilter`(&(objectClass=group)(|(mail=${address})(proxyAddresses=smtp:${address})))`,
      attributes: ['distinguishedName'],
    })
    return searchEntries.map((e) => e.dn)
  }

  /** The mail addresses of every user transitively in `groupDn` (paged), disabled ones left out unless configured. */
  async #membersOf(client: Client, groupDn: string): Promise<string[]> {
    const s = this.#settings
    const filter =
      escapeFilter`(&(memberOf:${IN_CHAIN}:=${groupDn})(objectCategory=person)(objectClass=user)` +
      (s.includeDisabled ? ')' : `(!${DISABLED}))`)
    const mails: string[] = []
    for await (const page of client.searchPaginated(s.baseDn, {
      scope: 'sub',
      filter,
      attributes: ['mail'],
      paged: { pageSize: s.pageSize },
    }))
      for (const e of page.searchEntries) mails.push(...all(e.mail))
    return mails
  }

  /**
   * For each address: null when no group here has it as mail or smtp proxy address, else the
   * transitive user members' mail addresses (each once, lower-cased, sorted; members without mail
   * are left out). One bind for the whole call.
   * @throws ConnectorError auth / rejected (plain bind refused, TLS, egress) / unavailable for the whole call
   */
  async expandGroups(addresses: string[], ctx: CallContext): Promise<PerItem<string[] | null>[]> {
    return await this.#session(ctx, async (client) => {
      const out: PerItem<string[] | null>[] = []
      for (const raw of addresses) {
        const address = raw.trim()
        try {
          const groups = address.includes('@') ? await this.#groupsOf(client, address) : []
          if (groups.length === 0) {
            out.push({ ok: true, value: null })
            continue
          }
          const members = new Set<string>()
          for (const dn of groups) for (const m of await this.#membersOf(client, dn)) members.add(m.toLowerCase())
          out.push({ ok: true, value: [...members].sort() })
        } catch (err) {
          const error = toConnectorError(err, `the group of ${address}`)
          // A lost connection or a refused bind fails every item alike: report it once, for the call.
          if (error.kind === 'unavailable' || error.kind === 'auth') throw error
          out.push({ ok: false, error })
        }
      }
      return out
    })
  }

  /** Binds, reads the root DSE and the base DN, and says what it found. @throws ConnectorError */
  async test(ctx: CallContext) {
    const s = this.#settings
    return await this.#session(ctx, async (client) => {
      let server = 'the server'
      try {
        const root = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['dnsHostName'] })
        server = first(root.searchEntries[0]?.dnsHostName) || server
      } catch {
        // the root DSE is informative only; the base DN read below is the check
      }
      let base: { dn: string; objectClass: string[] } | undefined
      try {
        const { searchEntries } = await client.search(s.baseDn, {
          scope: 'base',
          filter: '(objectClass=*)',
          attributes: ['objectClass'],
        })
        const e = searchEntries[0]
        base = e ? { dn: e.dn, objectClass: all(e.objectClass) } : undefined
      } catch (err) {
        throw toConnectorError(err, `base DN ${s.baseDn}`)
      }
      if (!base) throw new ConnectorError('not_found', `ad: base DN ${s.baseDn} not found`)
      const how = s.url.startsWith('ldaps:') ? 'LDAPS' : s.startTls ? 'StartTLS' : 'plain LDAP'
      return {
        message: `bound to ${server} over ${how}; base DN ${base.dn} found (${base.objectClass.at(-1) ?? 'entry'})`,
      }
    })
  }
}
