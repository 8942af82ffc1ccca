import { z } from 'zod'
import { closeIncidents } from '../../incidents/close-incidents.ts'
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
