import { z } from 'zod'
import { setTeamAndAssignee } from '../../incidents/set-team-and-assignee.ts'
import type { ResponseType } from '../response-type.ts'

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
