import { eq, inArray } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client.ts'
import { incidentFields, incidentFieldValues } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { ABUSE_DISPOSITIONS, SUB_DISPOSITIONS } from '../setup/ensure-builtins.ts'
import { addHistory, touch, withIncident } from './incident-tx.ts'

/**
 * Sets incident field values by field name (built-in and custom). Without `allowOverride`, fields
 * that already hold a value keep it. Select fields must use one of their options; Abuse and Sub
 * Disposition must form an allowed pair (Sub Disposition only under Unknown). Severity also
 * updates the incident's severity. Every change is a history record (disposition history) and audited.
 * @throws AppError FORBIDDEN, NOT_FOUND, INVALID_REQUEST naming the field.
 */
export const updateIncidentFields = async (
  db: DbOrTx,
  actor: Actor,
  incidentId: number,
  fields: Record<string, string | null>,
  options: { allowOverride?: boolean } = {},
) => {
  const names = Object.keys(fields)
  if (names.length === 0) throw new AppError('INVALID_REQUEST', 'fields: at least one field')
  return withIncident(db, actor, incidentId, async (tx) => {
    const defs = await tx.select().from(incidentFields).where(inArray(incidentFields.name, names))
    const unknown = names.find((n) => !defs.some((d) => d.name === n))
    if (unknown) throw new AppError('INVALID_REQUEST', `fields.${unknown}: unknown incident field`)
    const current = new Map(
      (
        await tx
          .select({ fieldId: incidentFieldValues.fieldId, value: incidentFieldValues.value })
          .from(incidentFieldValues)
          .where(eq(incidentFieldValues.incidentId, incidentId))
      ).map((r) => [r.fieldId, r.value]),
    )
    const byName = new Map(defs.map((d) => [d.name, d]))
    const finalOf = (name: string) => {
      const d = byName.get(name)
      if (d && name in fields && (options.allowOverride || !current.get(d.id))) return fields[name] ?? null
      return undefined
    }
    for (const d of defs) {
      const v = fields[d.name]
      if (v !== null && v !== undefined && typeof v !== 'string')
        throw new AppError('INVALID_REQUEST', `fields.${d.name}: expected a string or null`)
      if (v && d.kind === 'select' && d.options.length && !d.options.includes(v))
        throw new AppError('INVALID_REQUEST', `fields.${d.name}: expected one of ${d.options.join(', ')}`)
    }
    // The disposition pair is checked on the values the incident will hold afterwards.
    const [abuseDef] = await tx.select().from(incidentFields).where(eq(incidentFields.name, 'Abuse Disposition'))
    const [subDef] = await tx.select().from(incidentFields).where(eq(incidentFields.name, 'Sub Disposition'))
    const abuse =
      finalOf('Abuse Disposition') !== undefined
        ? finalOf('Abuse Disposition')
        : abuseDef
          ? (current.get(abuseDef.id) ?? null)
          : null
    const sub =
      finalOf('Sub Disposition') !== undefined
        ? finalOf('Sub Disposition')
        : subDef
          ? (current.get(subDef.id) ?? null)
          : null
    if (abuse && !(ABUSE_DISPOSITIONS as readonly string[]).includes(abuse))
      throw new AppError(
        'INVALID_REQUEST',
        `fields.Abuse Disposition: expected one of ${ABUSE_DISPOSITIONS.join(', ')}`,
      )
    if (sub && !(SUB_DISPOSITIONS[abuse ?? ''] ?? []).includes(sub))
      throw new AppError(
        'INVALID_REQUEST',
        `fields.Sub Disposition: ${sub} is only allowed with Abuse Disposition Unknown`,
      )

    const changes: { name: string; from: string | null; to: string | null }[] = []
    for (const d of defs) {
      const to = finalOf(d.name)
      if (to === undefined) continue
      const from = current.get(d.id) ?? null
      if (from === to) continue
      await tx
        .insert(incidentFieldValues)
        .values({ incidentId, fieldId: d.id, value: to })
        .onConflictDoUpdate({
          target: [incidentFieldValues.incidentId, incidentFieldValues.fieldId],
          set: { value: to },
        })
      changes.push({ name: d.name, from, to })
      await addHistory(tx, actor, incidentId, {
        historyType: d.name.endsWith('Disposition') ? 'disposition_change' : 'field_change',
        field: d.name,
        stateFrom: from,
        stateTo: to,
      })
    }
    if (changes.length) {
      const sev = changes.find((c) => c.name === 'Severity')?.to
      await touch(tx, incidentId, sev ? { severity: sev } : {})
      await appendAudit(tx, actor, {
        action: 'incident.fields',
        objectType: 'incident',
        objectId: incidentId,
        before: Object.fromEntries(changes.map((c) => [c.name, c.from])),
        after: Object.fromEntries(changes.map((c) => [c.name, c.to])),
      })
    }
    return { changed: changes }
  })
}
