import { and, asc, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import {
  alertEmails,
  alerts,
  incidentFields,
  incidentFieldValues,
  incidents,
  listMembers,
  matchConditions,
} from '../../db/schema/index.ts'
import { compileCondition, type ListMembers, listIdsOf } from './compile-condition.ts'
import type { Condition } from './condition-model.ts'
import type { ResponseSpec } from './match-condition-input.ts'
import type { MatchSubject } from './match-subject.ts'

/** A condition as the evaluator needs it (stored, or a draft under dry run). */
export type EvaluableCondition = {
  id: number
  sourceId: number | null
  condition: Condition
  responses: ResponseSpec[]
  isAutomatic: boolean
  continueAfterMatch: boolean
}
export type AlertMatch = { alertId: number; incidentId: number | null; condition: EvaluableCondition }
export type AlertEvaluation = { alertId: number; incidentId: number | null; matched: number[]; evaluated: number }

/** Current members of the given lists (expired ones excluded), lower-cased. */
const loadLists = async (db: DbOrTx, ids: Set<number>): Promise<ListMembers> => {
  const out = new Map<number, Set<string>>()
  if (ids.size === 0) return out
  const rows = await db
    .select({ listId: listMembers.listId, value: listMembers.value })
    .from(listMembers)
    .where(
      and(
        inArray(listMembers.listId, [...ids]),
        or(isNull(listMembers.expiresAt), gt(listMembers.expiresAt, sql`now()`)),
      ),
    )
  for (const id of ids) out.set(id, new Set())
  for (const r of rows) out.get(r.listId)!.add(r.value.toLowerCase())
  return out
}

/** Subjects for a set of alerts, in a fixed number of queries whatever the batch size. */
export const loadSubjects = async (db: DbOrTx, alertIds: number[]) => {
  if (alertIds.length === 0) return []
  const rows = await db
    .select({
      id: alerts.id,
      sourceId: alerts.sourceId,
      incidentId: alerts.incidentId,
      classification: alerts.classification,
      severity: alerts.severity,
      summary: alerts.summary,
      linkAttribute: alerts.linkAttribute,
      attackers: alerts.attackers,
      threatInfo: alerts.threatInfo,
      customFields: alerts.customFields,
    })
    .from(alerts)
    .where(inArray(alerts.id, alertIds))
    .orderBy(asc(alerts.id))
  const emails = await db
    .select({
      alertId: alertEmails.alertId,
      sender: alertEmails.sender,
      recipients: alertEmails.recipients,
      subject: alertEmails.subject,
      messageId: alertEmails.messageId,
      urls: alertEmails.urls,
      attachments: alertEmails.attachments,
    })
    .from(alertEmails)
    .where(inArray(alertEmails.alertId, alertIds))
  const incidentIds = [...new Set(rows.map((r) => r.incidentId).filter((x): x is number => x !== null))]
  const incidentRows = incidentIds.length
    ? await db
        .select({ id: incidents.id, score: incidents.score, severity: incidents.severity, state: incidents.state })
        .from(incidents)
        .where(inArray(incidents.id, incidentIds))
    : []
  const values = incidentIds.length
    ? await db
        .select({
          incidentId: incidentFieldValues.incidentId,
          name: incidentFields.name,
          value: incidentFieldValues.value,
        })
        .from(incidentFieldValues)
        .innerJoin(incidentFields, eq(incidentFields.id, incidentFieldValues.fieldId))
        .where(inArray(incidentFieldValues.incidentId, incidentIds))
    : []
  const emailsBy = Map.groupBy(emails, (e) => e.alertId)
  const fieldsBy = Map.groupBy(values, (v) => v.incidentId)
  const incidentBy = new Map(incidentRows.map((i) => [i.id, i]))
  return rows.map((r) => {
    const inc = r.incidentId === null ? undefined : incidentBy.get(r.incidentId)
    const subject: MatchSubject = {
      alert: r,
      emails: emailsBy.get(r.id) ?? [],
      incident: inc
        ? {
            score: inc.score,
            severity: inc.severity,
            state: inc.state,
            fields: Object.fromEntries((fieldsBy.get(inc.id) ?? []).map((v) => [v.name, v.value])),
          }
        : null,
    }
    return { alertId: r.id, sourceId: r.sourceId, incidentId: r.incidentId, subject }
  })
}

/** The enabled conditions of these sources, in evaluation order. */
export const loadEnabledConditions = async (db: DbOrTx, sourceIds: number[]): Promise<EvaluableCondition[]> =>
  sourceIds.length === 0
    ? []
    : (
        await db
          .select()
          .from(matchConditions)
          .where(and(inArray(matchConditions.sourceId, sourceIds), eq(matchConditions.isEnabled, true)))
          .orderBy(asc(matchConditions.position), asc(matchConditions.id))
      ).map((c) => ({
        id: c.id,
        sourceId: c.sourceId,
        condition: c.condition as Condition,
        responses: c.responses as ResponseSpec[],
        isAutomatic: c.isAutomatic,
        continueAfterMatch: !c.stopProcessing,
      }))

/**
 * THE evaluator (live matching, re-evaluation and dry run all call it): each subject against its
 * source's conditions in order, first match wins unless the condition says continue. Conditions
 * are compiled once per call; list members are loaded once for every list the trees use.
 */
export const evaluateSubjects = async (
  db: DbOrTx,
  subjects: Awaited<ReturnType<typeof loadSubjects>>,
  conditions: EvaluableCondition[],
): Promise<{ evaluations: AlertEvaluation[]; matches: AlertMatch[] }> => {
  const listIds = new Set<number>()
  for (const c of conditions) listIdsOf(c.condition, listIds)
  const lists = await loadLists(db, listIds)
  const compiled = conditions.map((c) => ({ c, test: compileCondition(c.condition, lists) }))
  const bySource = Map.groupBy(compiled, (x) => x.c.sourceId)
  const evaluations: AlertEvaluation[] = []
  const matches: AlertMatch[] = []
  for (const s of subjects) {
    const mine = bySource.get(s.sourceId) ?? []
    const matched: number[] = []
    for (const { c, test } of mine) {
      if (!test(s.subject)) continue
      matched.push(c.id)
      matches.push({ alertId: s.alertId, incidentId: s.incidentId, condition: c })
      if (!c.continueAfterMatch) break
    }
    evaluations.push({ alertId: s.alertId, incidentId: s.incidentId, matched, evaluated: mine.length })
  }
  return { evaluations, matches }
}
