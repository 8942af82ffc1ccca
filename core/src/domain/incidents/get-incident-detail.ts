import { and, asc, desc, eq, inArray, isNotNull } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import {
  alertEmails,
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

const HISTORY_LIMIT = 1000

/**
 * Everything the incident page shows, in a handful of queries independent of the alert count:
 * the incident with its team and assignee names, every field definition with this incident's
 * value, alerts with their emails (the raw payload is not loaded), hosts, users, quarantine
 * records, attachments, linked investigations the actor may see, and the newest history records
 * (the timeline; disposition history is the rows whose field ends in "Disposition").
 * @throws AppError FORBIDDEN without incidents.read, NOT_FOUND when it does not exist or is
 *   private to a team the actor is not in (the same answer, so existence is not revealed).
 */
export const getIncidentDetail = async (db: Db, actor: Actor, id: number) => {
  assertCan(actor, 'incidents.read')
  const [row] = await db
    .select({ incident: incidents, team: teams.name, assignee: users.username, source: sources.name })
    .from(incidents)
    .leftJoin(teams, eq(teams.id, incidents.teamId))
    .leftJoin(users, eq(users.id, incidents.assigneeId))
    .leftJoin(sources, eq(sources.id, incidents.sourceId))
    .where(eq(incidents.id, id))
  if (!row || !canSee(actor, row.incident)) throw new AppError('NOT_FOUND', 'incident not found')
  const alertCols = {
    id: alerts.id,
    receivedAt: alerts.receivedAt,
    classification: alerts.classification,
    severity: alerts.severity,
    summary: alerts.summary,
    description: alerts.description,
    attackDirection: alerts.attackDirection,
    attackers: alerts.attackers,
    targets: alerts.targets,
    threatInfo: alerts.threatInfo,
    isFalsePositive: alerts.isFalsePositive,
    source: sources.name,
  }
  const [fields, alertRows, hosts, people, quarantine, files, linked, history] = await Promise.all([
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
    db
      .select(alertCols)
      .from(alerts)
      .leftJoin(sources, eq(sources.id, alerts.sourceId))
      .where(eq(alerts.incidentId, id))
      .orderBy(asc(alerts.id)),
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
  const emails = alertRows.length
    ? await db
        .select()
        .from(alertEmails)
        .where(
          inArray(
            alertEmails.alertId,
            alertRows.map((a) => a.id),
          ),
        )
        .orderBy(asc(alertEmails.id))
    : []
  const hasOriginal = new Set(emails.filter((e) => e.originalSha256).map((e) => e.alertId))
  return {
    ...row.incident,
    team: row.team,
    assignee: row.assignee,
    source: row.source,
    fields,
    alerts: alertRows.map((a) => ({
      ...a,
      emails: emails.filter((e) => e.alertId === a.id),
      hasOriginal: hasOriginal.has(a.id),
    })),
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

/** Who an incident can be assigned to: enabled users who can sign in, by username. @throws AppError FORBIDDEN without incidents.read. */
export const listAssignees = async (db: Db, actor: Actor) => {
  assertCan(actor, 'incidents.read')
  return db
    .select({ id: users.id, username: users.username, displayName: users.displayName })
    .from(users)
    .where(and(eq(users.isDisabled, false), isNotNull(users.passwordHash)))
    .orderBy(asc(users.username))
}
