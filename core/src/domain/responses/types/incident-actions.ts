import { z } from 'zod'
import { closeIncidents } from '../../incidents/close-incidents.ts'
import { setTeamAndAssignee } from '../../incidents/set-team-and-assignee.ts'
import { updateIncidentFields } from '../../incidents/update-incident-fields.ts'
import type { ResponseType } from '../response-type.ts'

const ZClose = z.strictObject({
  summary: z.string().max(2000).default('Closed by a match condition'),
  detail: z.string().max(10_000).default(''),
})
/** Closes the incident (no-op when already closed). */
export const incidentClose: ResponseType<z.infer<typeof ZClose>> = {
  type: 'incident.close',
  title: 'Close the incident',
  params: ZClose,
  targets: () => [''],
  async run(p, _t, ctx) {
    await closeIncidents(ctx.db, ctx.actor, [ctx.incidentId], p)
    return { status: 'succeeded', details: { closed: true } }
  },
}

const ZAssign = z
  .strictObject({ team: z.string().max(200).optional(), assignee: z.string().max(200).optional() })
  .refine((p) => p.team !== undefined || p.assignee !== undefined, { message: 'team or assignee', path: ['team'] })
/** Sets the incident's team and/or assignee (by name). */
export const incidentAssign: ResponseType<z.infer<typeof ZAssign>> = {
  type: 'incident.assign',
  title: 'Assign the incident',
  params: ZAssign,
  targets: () => [''],
  async run(p, _t, ctx) {
    await setTeamAndAssignee(ctx.db, ctx.actor, ctx.incidentId, p)
    return { status: 'succeeded', details: p }
  },
}

const ZFields = z.strictObject({
  fields: z
    .record(z.string().min(1).max(200), z.string().max(2000))
    .refine((f) => Object.keys(f).length > 0, 'at least one field'),
})
/** Sets incident fields (dispositions included: kept in the field history, and re-evaluates conditions). */
export const incidentSetFields: ResponseType<z.infer<typeof ZFields>> = {
  type: 'incident.set_fields',
  title: 'Set incident fields',
  params: ZFields,
  targets: () => [''],
  async run(p, _t, ctx) {
    await updateIncidentFields(ctx.db, ctx.actor, ctx.incidentId, p.fields, { allowOverride: true })
    return { status: 'succeeded', details: p }
  },
}
