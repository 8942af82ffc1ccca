import { z } from 'zod'
import { updateIncidentFields } from '../../incidents/update-incident-fields.ts'
import type { ResponseType } from '../response-type.ts'

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
