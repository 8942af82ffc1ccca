import { ConnectorError } from '../errors.ts'
import type { CallContext } from '../types.ts'
import type { GraphAnswer, GraphBody, GraphOp, GraphTransport } from './transport.ts'

/** `'` doubled inside an OData string literal. */
export const odataString = (v: string) => `'${v.replace(/'/g, "''")}'`
export const userPath = (mailbox: string) => `/users/${encodeURIComponent(mailbox)}`

/** A `@odata.nextLink` (absolute, versioned) as a `$batch` member URL (relative, no version). */
export const relativeLink = (link: string) => {
  const u = new URL(link)
  return `${u.pathname.replace(/^\/(v1\.0|beta)(?=\/)/, '')}${u.search}`
}

/**
 * What to do about a 401/403 on a mailbox: grant `permission` as an application permission; an
 * Exchange `ErrorAccessDenied` with the permission granted means a scope (RBAC for Applications,
 * or an Application Access Policy) leaves this mailbox out. Shared by test() and quarantine.
 */
export const accessHint = (code: string, permission: string, mailbox?: string) =>
  `grant the application permission ${permission} (with admin consent)` +
  (code === 'ErrorAccessDenied'
    ? `; if it is granted, an Exchange Online RBAC for Applications or Application Access Policy scope may exclude ${mailbox ?? 'the mailbox'} (check with Test-ServicePrincipalAuthorization / Test-ApplicationAccessPolicy; see docs/connectors/msgraph.md)`
    : '')

/** A member answer that is not 2xx as the ConnectorError it means; `permission` names what a 401/403 lacks. */
export const answerError = (a: GraphAnswer, what: string, permission?: string, mailbox?: string): ConnectorError => {
  const code = a.body?.error?.code ?? `HTTP ${a.status}`
  if (a.status === 404) return new ConnectorError('not_found', `msgraph: ${what}: ${code}`)
  if (a.status === 401 || a.status === 403)
    return new ConnectorError(
      'auth',
      `msgraph: ${what}: ${code}${permission ? `; ${accessHint(code, permission, mailbox)}` : ''}`,
    )
  return new ConnectorError('rejected', `msgraph: ${what}: ${code}`)
}

export type Listing = { values: GraphBody[] } | { failed: GraphAnswer } | { error: ConnectorError }

/**
 * Runs list requests and follows every `@odata.nextLink`, all pages of all lists batched together
 * round by round. Answers per request: every value, or the first failing answer / error.
 */
export const collectPages = async (transport: GraphTransport, ops: GraphOp[], ctx: CallContext): Promise<Listing[]> => {
  const out: Listing[] = ops.map(() => ({ values: [] }))
  let round = ops.map((op, i) => ({ i, op }))
  while (round.length) {
    const answers = await transport.run(
      round.map((r) => r.op),
      ctx,
    )
    const next: typeof round = []
    round.forEach((r, n) => {
      const a = answers[n]!
      const acc = out[r.i]!
      if (!('values' in acc)) return
      if (a instanceof ConnectorError) out[r.i] = { error: a }
      else if (a.status < 200 || a.status > 299) out[r.i] = { failed: a }
      else {
        acc.values.push(...((a.body?.value as GraphBody[]) ?? []))
        const link = a.body?.['@odata.nextLink']
        if (typeof link === 'string') next.push({ i: r.i, op: { ...r.op, url: relativeLink(link) } })
      }
    })
    round = next
  }
  return out
}
