import { eq } from 'drizzle-orm'
import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { responseRuns } from '../../../core/src/db/schema/index.ts'
import { actOnResponseRun } from '../../../core/src/domain/responses/act-on-response-run.ts'
import { AppError } from '../../../core/src/errors.ts'
import { idParam } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { incidentPage } from './incident-show.ts'

const ACTS = ['press', 'approve', 'reject', 'undo'] as const

/** POST /response-runs/:id/:act — run an offered response, approve/reject, undo; back to the incident. */
export const responseRunAct = async (c: Context<AppEnv>) => {
  const act = c.req.param('act') as (typeof ACTS)[number]
  if (!ACTS.includes(act)) throw new AppError('NOT_FOUND', 'not found')
  const runId = idParam(c)
  const { db, boss } = c.var.deps
  try {
    await actOnResponseRun(db, boss, c.var.actor!, runId, act)
  } catch (err) {
    if (!(err instanceof AppError) || !['CONFLICT', 'FORBIDDEN'].includes(err.code)) throw err
    const [run] = await db
      .select({ incidentId: responseRuns.incidentId })
      .from(responseRuns)
      .where(eq(responseRuns.id, runId))
    return incidentPage(c, run!.incidentId, { _: err.message }, 422)
  }
  const [run] = await db
    .select({ incidentId: responseRuns.incidentId })
    .from(responseRuns)
    .where(eq(responseRuns.id, runId))
  return redirect(c, `/incidents/${run!.incidentId}#responses`)
}
