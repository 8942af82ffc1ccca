import { and, eq, gt, inArray, isNull, lt, ne, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { alertEmails, alerts, listMembers, lists } from '../../db/schema/index.ts'
import type { ReportedOriginal } from '../reports/report-types.ts'
import type { AnalysisContext, DkimCheck, ListHit } from './analysis-types.ts'
import { classifyUrl } from './classify-url.ts'
import { domainOf } from './org-domain.ts'

type GatherOptions = {
  incidentId: number
  /** alerts received before this moment count as earlier */
  before: Date
  protectedDomains: string[]
  /** names of the lists whose members mark a message as bad; empty → every list */
  lists: string[]
  dkim?: DkimCheck[]
}

/** A host and every parent's wildcard (a.b.example → a.b.example, *.b.example, *.example). */
const hostKeys = (host: string) => {
  const labels = host.split('.')
  return [host, ...labels.slice(1).map((_, i) => `*.${labels.slice(i + 1).join('.')}`)]
}

/**
 * The look-ups the rules need, done once: whether the sender domain appeared in an earlier alert
 * of another incident (index alert_emails_sender_domain_idx), and which current (unexpired)
 * members of the named lists the original matches — sender (email), sender domain and link hosts
 * (host, `*.` wildcards included), links (url), link IP addresses (ip), attachment hashes (hash).
 */
export const gatherAnalysisContext = async (
  db: DbOrTx,
  original: ReportedOriginal,
  o: GatherOptions,
): Promise<AnalysisContext> => {
  const senderDomain = domainOf(original.sender)
  const [known] = senderDomain
    ? await db
        .select({ one: sql<number>`1` })
        .from(alertEmails)
        .innerJoin(alerts, eq(alerts.id, alertEmails.alertId))
        .where(
          and(
            sql`lower(split_part(${alertEmails.sender}, '@', 2)) = ${senderDomain}`,
            or(isNull(alerts.incidentId), ne(alerts.incidentId, o.incidentId)),
            lt(alerts.receivedAt, o.before),
          ),
        )
        .limit(1)
    : []
  const urlFlags = original.urls.map(classifyUrl)
  const candidates: Record<string, string[]> = {
    email: original.sender ? [original.sender] : [],
    host: [
      ...new Set([senderDomain, ...urlFlags.filter((u) => !u.isIpHost).map((u) => u.host)].filter(Boolean)),
    ].flatMap(hostKeys),
    url: original.urls,
    ip: urlFlags.filter((u) => u.isIpHost).map((u) => u.host.replace(/^\[|\]$/g, '')),
    hash: original.attachments.flatMap((a) => [a.sha256, a.md5]),
  }
  const values = [...new Set(Object.values(candidates).flat())].slice(0, 5000)
  const rows = values.length
    ? await db
        .select({ list: lists.name, type: lists.type, value: listMembers.value })
        .from(listMembers)
        .innerJoin(lists, eq(lists.id, listMembers.listId))
        .where(
          and(
            inArray(listMembers.value, values),
            or(isNull(listMembers.expiresAt), gt(listMembers.expiresAt, sql`now()`)),
            o.lists.length ? inArray(lists.name, o.lists) : undefined,
          ),
        )
    : []
  const listHits: ListHit[] = rows.filter((r) => candidates[r.type]?.includes(r.value))
  return {
    dkim: o.dkim,
    protectedDomains: o.protectedDomains,
    isSenderDomainKnown: !!known,
    listHits,
  }
}
