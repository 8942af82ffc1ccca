import { and, asc, desc, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import {
  alerts,
  attachments,
  incidentFields,
  incidentFieldValues,
  incidentHistory,
  incidentHosts,
  incidents,
  incidentUsers,
  investigationIncidents,
  investigations,
  quarantineRecords,
  sources,
  teams,
  users,
} from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, canSee, visibleWhere } from '../../policy/index.ts'
import { loadAlertPage } from './list-incident-alerts.ts'

const HISTORY_LIMIT = 1000

/** Alerts shown with the page; the rest load on demand (a 500-alert incident stays fast). */
export const FIRST_ALERTS = 50

/**
 * Everything the incident page shows, in a handful of queries independent of the alert count:
 * the incident with its team and assignee names, every field definition with this incident's
 * value, the first FIRST_ALERTS alerts with their emails and the alert count, hosts, users, quarantine
 * records, attachments, linked investigations the actor may see, and the newest history records
 * (the timeline; disposition history is the rows whose field ends in "Disposition").
 * @throws AppError FORBIDDEN without incidents.read, NOT_FOUND when it does not exist or is
 *   private to a team the actor is not in (the same answer, so existence is not revealed).
 */
export const getIncidentDetail = async (db: Db, actor: Actor, id: number) => {
  assertCan(actor, 'incidents.read')
  const [row] = await db
    .select({
      incident: incidents,
      team: teams.name,
      assignee: users.username,
      source: sources.name,
      sourceType: sources.type,
    })
    .from(incidents)
    .leftJoin(teams, eq(teams.id, incidents.teamId))
    .leftJoin(users, eq(users.id, incidents.assigneeId))
    .leftJoin(sources, eq(sources.id, incidents.sourceId))
    .where(eq(incidents.id, id))
  if (!row || !canSee(actor, row.incident)) throw new AppError('NOT_FOUND', 'incident not found')
  const [fields, firstAlerts, [alertCount], hosts, people, quarantine, files, linked, history] = await Promise.all([
    db
      .select({
        id: incidentFields.id,
        name: incidentFields.name,
        kind: incidentFields.kind,
        options: incidentFields.options,
        isBuiltin: incidentFields.isBuiltin,
        value: incidentFieldValues.value,
      })
      .from(incidentFields)
      .leftJoin(
        incidentFieldValues,
        and(eq(incidentFieldValues.fieldId, incidentFields.id), eq(incidentFieldValues.incidentId, id)),
      )
      .orderBy(desc(incidentFields.isBuiltin), asc(incidentFields.id)),
    loadAlertPage(db, id, 0, FIRST_ALERTS),
    db.select({ n: sql<number>`count(*)::int` }).from(alerts).where(eq(alerts.incidentId, id)),
    db
      .select({ kind: incidentHosts.kind, host: incidentHosts.host })
      .from(incidentHosts)
      .where(eq(incidentHosts.incidentId, id))
      .orderBy(asc(incidentHosts.kind), asc(incidentHosts.host)),
    db
      .select({ kind: incidentUsers.kind, username: incidentUsers.username })
      .from(incidentUsers)
      .where(eq(incidentUsers.incidentId, id))
      .orderBy(asc(incidentUsers.kind), asc(incidentUsers.username)),
    db.select().from(quarantineRecords).where(eq(quarantineRecords.incidentId, id)).orderBy(asc(quarantineRecords.id)),
    db.select().from(attachments).where(eq(attachments.incidentId, id)).orderBy(desc(attachments.id)),
    db
      .select({
        id: investigations.id,
        name: investigations.name,
        state: investigations.state,
        linkedAt: investigationIncidents.linkedAt,
      })
      .from(investigationIncidents)
      .innerJoin(investigations, eq(investigations.id, investigationIncidents.investigationId))
      .where(and(eq(investigationIncidents.incidentId, id), visibleWhere(actor, investigations))),
    db
      .select()
      .from(incidentHistory)
      .where(eq(incidentHistory.incidentId, id))
      .orderBy(desc(incidentHistory.createdAt), desc(incidentHistory.id))
      .limit(HISTORY_LIMIT),
  ])
  return {
    ...row.incident,
    team: row.team,
    assignee: row.assignee,
    source: row.source,
    sourceType: row.sourceType,
    fields,
    alerts: firstAlerts,
    alertCount: alertCount?.n ?? 0,
    hosts,
    users: people,
    quarantine,
    attachments: files,
    investigations: linked,
    history,
    dispositionHistory: history.filter((h) => h.field?.endsWith('Disposition')),
  }
}

export type IncidentDetail = Awaited<ReturnType<typeof getIncidentDetail>>
