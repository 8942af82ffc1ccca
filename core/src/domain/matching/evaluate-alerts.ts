import { and, asc, eq, gt, inArray, isNull, or, type SQL, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { listMembers, matchConditions } from '../../db/schema/index.ts'
import { compileCondition, fieldsOf, type ListMembers, listIdsOf } from './compile-condition.ts'
import type { Condition } from './condition-model.ts'
import type { ResponseSpec } from './match-condition-input.ts'
import { factsOf, type MatchSubject, needsOf, type SubjectNeeds } from './match-subject.ts'

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

type SubjectRow = {
  id: string
  source_id: string
  incident_id: string | null
  classification: string
  severity: string
  summary: string
  link_attribute: string | null
  attackers: unknown
  threat_info: Record<string, unknown> | null
  custom_fields: Record<string, unknown> | null
  emails: MatchSubject['emails'] | null
  incident_score: number | null
  incident_severity: string | null
  incident_state: string | null
  incident_fields: Record<string, string | null> | null
}

/**
 * A jsonb object of only these keys of a jsonb column (the bulk of custom fields is not read);
 * jsonb_build_object takes at most 50 pairs, beyond that the keys are aggregated.
 */
const pick = (column: SQL, keys: string[]) => {
  if (keys.length === 0) return sql`NULL::jsonb`
  if (keys.length <= 50)
    return sql`jsonb_build_object(${sql.join(
      keys.map((k) => sql`${k}::text, ${column} -> ${k}::text`),
      sql`, `,
    )})`
  return sql`(SELECT jsonb_object_agg(k, ${column} -> k) FROM jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb) AS k)`
}

/**
 * Subjects for a set of alerts in ONE statement with one array parameter, whatever the batch size,
 * reading only what `needs` says the conditions test (no e-mails, incident or custom fields when no
 * condition looks at them; only the custom keys and incident fields they name).
 */
export const loadSubjects = async (db: DbOrTx, alertIds: number[], needs: SubjectNeeds) => {
  if (alertIds.length === 0) return []
  const emails = needs.emails
    ? sql`(SELECT json_agg(json_build_object('sender', e.sender, 'recipients', e.recipients, 'subject', e.subject,
             'messageId', e.message_id, 'urls', e.urls, 'attachments', e.attachments) ORDER BY e.id)
           FROM alert_emails e WHERE e.alert_id = a.id)`
    : sql`NULL::json`
  const fields = needs.incidentFields.length
    ? sql`(SELECT json_object_agg(f.name, v.value) FROM incident_field_values v
           JOIN incident_fields f ON f.id = v.field_id
           WHERE v.incident_id = a.incident_id
             AND f.name = ANY (ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(needs.incidentFields)}::jsonb))))`
    : sql`NULL::json`
  const rows = (await db.execute(sql`
    SELECT a.id, a.source_id, a.incident_id, a.classification, a.severity, a.summary, a.link_attribute,
      ${needs.attackers ? sql`a.attackers` : sql`NULL::jsonb`} AS attackers,
      ${pick(sql`a.threat_info`, needs.threatKeys)} AS threat_info,
      ${pick(sql`a.custom_fields`, needs.customKeys)} AS custom_fields,
      ${emails} AS emails,
      i.score AS incident_score, i.severity AS incident_severity, i.state AS incident_state,
      ${fields} AS incident_fields
    FROM alerts a LEFT JOIN incidents i ON ${needs.incident ? sql`i.id = a.incident_id` : sql`false`}
    WHERE a.id = ANY (${`{${alertIds.join(',')}}`}::bigint[])
    ORDER BY a.id`)) as unknown as SubjectRow[]
  return rows.map((r) => {
    const subject: MatchSubject = {
      alert: {
        classification: r.classification,
        severity: r.severity,
        summary: r.summary,
        linkAttribute: r.link_attribute,
        attackers: r.attackers,
        threatInfo: r.threat_info ?? {},
        customFields: r.custom_fields ?? {},
      },
      emails: r.emails ?? [],
      incident:
        r.incident_state === null
          ? null
          : {
              score: Number(r.incident_score),
              severity: r.incident_severity!,
              state: r.incident_state,
              fields: r.incident_fields ?? {},
            },
    }
    return {
      alertId: Number(r.id),
      sourceId: Number(r.source_id),
      incidentId: r.incident_id === null ? null : Number(r.incident_id),
      subject,
    }
  })
}

/** What loading must read for these conditions to be evaluated. */
export const subjectNeedsOf = (conditions: EvaluableCondition[]) => {
  const fields = new Set<string>()
  for (const c of conditions) fieldsOf(c.condition, fields)
  return needsOf(fields)
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
    const facts = factsOf(s.subject)
    for (const { c, test } of mine) {
      if (!test(facts)) continue
      matched.push(c.id)
      matches.push({ alertId: s.alertId, incidentId: s.incidentId, condition: c })
      if (!c.continueAfterMatch) break
    }
    evaluations.push({ alertId: s.alertId, incidentId: s.incidentId, matched, evaluated: mine.length })
  }
  return { evaluations, matches }
}
