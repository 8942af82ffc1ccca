import { sql } from 'drizzle-orm'
import { fromDrizzle } from 'pg-boss'
import type { Db, Tx } from '../../db/client.ts'
import { bigintArray, textArray } from '../../db/sql-arrays.ts'
import { alertMatchJob } from '../../jobs/alert-match.ts'
import type { PgBoss } from '../../jobs/boss.ts'
import { incidentSeverityOf, incidentTypeOf, type LinkKey, scoreOf } from './link-key.ts'
import type { NormalizedAlert } from './normalize-alert.ts'

/** One alert ready to store: its source, the raw body verbatim, the normalised fields, its link key. */
export type PendingAlert = {
  sourceId: number
  raw: string
  rawContentType?: string
  alert: NormalizedAlert
  link: LinkKey | null
}
export type StoredAlert = { alertId: number; incidentId: number; isNewIncident: boolean }

const OPEN = sql`('new','open','assigned')`

const nextIds = async (tx: Tx, table: string, n: number): Promise<number[]> => {
  if (n === 0) return []
  const rows = await tx.execute<{ id: string }>(
    sql`SELECT nextval(pg_get_serial_sequence(${table}, 'id')) AS id FROM generate_series(1, ${n}::int)`,
  )
  return rows.map((r) => Number(r.id))
}

const hostsOf = (a: NormalizedAlert) => {
  const out: { kind: string; host: string }[] = []
  for (const e of a.attackers)
    for (const h of [e.ip_address, e.host_name, e.url]) if (h) out.push({ kind: 'attacker', host: h })
  for (const h of a.cncHosts) out.push({ kind: 'cnc', host: h.host })
  for (const h of a.forensicsHosts) out.push({ kind: 'forensics', host: h.host })
  for (const m of a.emails) for (const u of m.urls) out.push({ kind: 'url', host: u })
  const tu = a.threatInfo.url
  if (typeof tu === 'string' && tu) out.push({ kind: 'url', host: tu })
  return out
}

const usersOf = (a: NormalizedAlert) => {
  const out: { kind: string; username: string }[] = []
  for (const m of a.emails) for (const r of m.recipients) out.push({ kind: 'targets', username: r })
  for (const t of a.targets) if (t.user) out.push({ kind: 'targets', username: t.user })
  for (const t of a.attackers) if (t.user) out.push({ kind: 'attackers', username: t.user })
  return out
}

/**
 * Stores a batch of alerts in one transaction (group commit) in five statements: advisory locks
 * on the batch's link keys (sorted, so concurrent batches cannot deadlock) plus alert ids; the
 * look-up of the most recent open incident per key (rule keys only within their window); ids for
 * the new incidents; one statement writing incidents, link keys, history, alerts, emails, hosts and
 * users; and one `alert.match` job for the batch, enqueued in the same transaction. All or
 * nothing: when it throws, nothing of the batch exists. Intake is not written to the audit log
 * (alerts carry their source and time; incident creation is in incident_history); analyst and
 * admin actions are.
 */
export const storeAlerts = async (db: Db, boss: PgBoss, items: PendingAlert[]): Promise<StoredAlert[]> => {
  if (items.length === 0) return []
  return db.transaction(async (tx) => {
    const keyWindows = new Map<string, number | null>()
    for (const it of items) if (it.link) keyWindows.set(it.link.key, it.link.windowSeconds)
    const keys = [...keyWindows.keys()].sort()
    const [head] = await tx.execute<{ locked: string; ids: string[] }>(sql`
      SELECT (SELECT count(pg_advisory_xact_lock(hashtextextended(k, 7))) FROM (SELECT unnest(${textArray(keys)}) AS k ORDER BY 1) s) AS locked,
        (SELECT array_agg(nextval(pg_get_serial_sequence('alerts', 'id'))::text) FROM generate_series(1, ${items.length}::int)) AS ids`)
    const alertIds = head!.ids.map(Number).sort((a, b) => a - b)
    const existing = new Map<string, number>()
    if (keys.length) {
      const q = JSON.stringify(keys.map((k) => ({ key: k, win: keyWindows.get(k) ?? -1 })))
      const rows = await tx.execute<{ key: string; incident_id: string }>(sql`
        SELECT q.key, max(l.incident_id) AS incident_id
        FROM json_to_recordset(${q}::json) AS q(key text, win int)
        JOIN incident_link_keys l ON l.key = q.key
        JOIN incidents i ON i.id = l.incident_id
        WHERE i.state IN ${OPEN} AND (q.win < 0 OR i.created_at > now() - make_interval(secs => q.win))
        GROUP BY q.key`)
      for (const r of rows) existing.set(r.key, Number(r.incident_id))
    }

    // One new incident per unmatched key, and one per alert without a key.
    const newKeys = keys.filter((k) => !existing.has(k))
    const keyless = items.filter((it) => !it.link).length
    const newIds = await nextIds(tx, 'incidents', newKeys.length + keyless)
    const incidentOfKey = new Map(existing)
    for (const [i, k] of newKeys.entries()) incidentOfKey.set(k, newIds[i]!)
    let keylessAt = newKeys.length
    const result: StoredAlert[] = []
    const firstAlertOf = new Map<number, PendingAlert>()
    const newSet = new Set(newIds)
    items.forEach((it, i) => {
      const incidentId = it.link ? incidentOfKey.get(it.link.key)! : newIds[keylessAt++]!
      if (newSet.has(incidentId) && !firstAlertOf.has(incidentId)) firstAlertOf.set(incidentId, it)
      result.push({ alertId: alertIds[i]!, incidentId, isNewIncident: newSet.has(incidentId) })
    })

    const incidentRows = [...firstAlertOf].map(([id, it]) => ({
      id,
      state: 'new',
      type: incidentTypeOf(it.alert.classification),
      severity: incidentSeverityOf(it.alert.severity),
      score: scoreOf(it.alert.severity),
      summary: it.alert.summary.slice(0, 1000),
      description: '',
      source_id: it.sourceId,
    }))
    const linkRows = newKeys.map((k) => ({ key: k, incident_id: incidentOfKey.get(k) }))
    const alertRows = items.map((it, i) => ({
      id: alertIds[i],
      source_id: it.sourceId,
      incident_id: result[i]!.incidentId,
      raw: it.raw,
      raw_content_type: it.rawContentType ?? 'application/json',
      classification: it.alert.classification,
      severity: it.alert.severity,
      summary: it.alert.summary,
      description: it.alert.description,
      attackers: it.alert.attackers,
      targets: it.alert.targets,
      cnc_hosts: it.alert.cncHosts,
      forensics_hosts: it.alert.forensicsHosts,
      detector: it.alert.detector,
      threat_info: it.alert.threatInfo,
      custom_fields: it.alert.customFields,
      link_attribute: it.alert.linkAttribute,
      link_key: it.link?.key ?? null,
    }))
    const emailRows = items.flatMap((it, i) =>
      it.alert.emails.map((m) => ({
        alert_id: alertIds[i],
        message_id: m.messageId,
        sender: m.sender,
        recipients: m.recipients,
        subject: m.subject,
        delivered_at: m.deliveredAt,
        headers: m.headers,
        urls: m.urls,
        attachments: m.attachments,
        is_abuse_copy: m.isAbuseCopy,
      })),
    )
    const dedupe = <T>(rows: T[]) => [...new Map(rows.map((r) => [JSON.stringify(r), r])).values()]
    const hostRows = dedupe(
      items.flatMap((it, i) => hostsOf(it.alert).map((h) => ({ incident_id: result[i]!.incidentId, ...h }))),
    )
    const userRows = dedupe(
      items.flatMap((it, i) => usersOf(it.alert).map((u) => ({ incident_id: result[i]!.incidentId, ...u }))),
    )
    const touched = [...new Set(result.filter((r) => !r.isNewIncident).map((r) => r.incidentId))]

    // One round trip for every row of the batch; RI checks run at the end of the statement, after
    // the incidents inserted by the first CTE exist.
    await tx.execute(sql`
      WITH inc AS (
        INSERT INTO incidents (id, state, type, severity, score, summary, description, source_id) OVERRIDING SYSTEM VALUE
        SELECT id, state::incident_state, type, severity, score, summary, description, source_id
        FROM json_populate_recordset(null::incidents, ${JSON.stringify(incidentRows)}::json) RETURNING id),
      lk AS (
        INSERT INTO incident_link_keys (key, incident_id)
        SELECT key, incident_id FROM json_populate_recordset(null::incident_link_keys, ${JSON.stringify(linkRows)}::json)),
      hist AS (
        INSERT INTO incident_history (incident_id, history_type, state_to, summary)
        SELECT id, 'created', 'new', 'Incident created by alert intake' FROM inc),
      al AS (
        INSERT INTO alerts (id, source_id, incident_id, raw, raw_content_type, classification, severity, summary, description,
          attackers, targets, cnc_hosts, forensics_hosts, detector, threat_info, custom_fields, link_attribute, link_key) OVERRIDING SYSTEM VALUE
        SELECT id, source_id, incident_id, raw, raw_content_type, classification, severity, summary, description,
          attackers, targets, cnc_hosts, forensics_hosts, detector, threat_info, custom_fields, link_attribute, link_key
        FROM json_populate_recordset(null::alerts, ${JSON.stringify(alertRows)}::json)),
      em AS (
        INSERT INTO alert_emails (alert_id, message_id, sender, recipients, subject, delivered_at, headers, urls, attachments, is_abuse_copy)
        SELECT alert_id, message_id, sender, recipients, subject, delivered_at, headers, urls, attachments, is_abuse_copy
        FROM json_populate_recordset(null::alert_emails, ${JSON.stringify(emailRows)}::json)),
      ho AS (
        INSERT INTO incident_hosts (incident_id, kind, host)
        SELECT incident_id, kind, host FROM json_populate_recordset(null::incident_hosts, ${JSON.stringify(hostRows)}::json) ON CONFLICT DO NOTHING),
      us AS (
        INSERT INTO incident_users (incident_id, kind, username)
        SELECT incident_id, kind, username FROM json_populate_recordset(null::incident_users, ${JSON.stringify(userRows)}::json) ON CONFLICT DO NOTHING),
      up AS (UPDATE incidents SET updated_at = now() WHERE id = ANY(${bigintArray(touched)}))
      SELECT 1`)

    await boss.send(
      alertMatchJob.name,
      alertMatchJob.payload.parse({
        alerts: result.map((r) => ({ alertId: r.alertId, incidentId: r.incidentId })),
      }) as object,
      {
        db: fromDrizzle(tx as never, sql as never),
      },
    )
    return result
  })
}
