import { eq, sql } from 'drizzle-orm'
import type { PgBoss } from 'pg-boss'
import type { Db } from '../../db/client.ts'
import { responseRuns } from '../../db/schema/index.ts'
import { AppError, notFound } from '../../errors.ts'
import { enqueue } from '../../jobs/enqueue.ts'
import { responseRunJob } from '../../jobs/response-run.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertCanRunResponse } from '../../policy/index.ts'
import { readResponsePermissions } from '../../settings/response-permissions.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { lockIncident } from '../incidents/incident-tx.ts'
import { responseTypeOf } from './response-types.ts'

/**
 * Moves one run on: `press` an offered button (queues it), `approve` a run awaiting approval
 * (the approver must not be who asked for it), `reject` it, or `undo` a finished run whose type
 * can be undone. Audited. @throws FORBIDDEN, NOT_FOUND (also for runs on incidents the actor cannot see), CONFLICT
 */
export const actOnResponseRun = async (
  db: Db,
  boss: PgBoss,
  actor: Actor,
  runId: number,
  act: 'press' | 'approve' | 'reject' | 'undo',
) => {
  assertCan(actor, 'responses.run')
  return db.transaction(async (tx) => {
    const [run] = await tx.select().from(responseRuns).where(eq(responseRuns.id, runId)).for('update')
    if (!run) throw notFound('response run')
    await lockIncident(tx, actor, run.incidentId)
    const permission = responseTypeOf(run.responseType)?.permission
    if (permission) assertCan(actor, permission)
    const expect = {
      press: ['offered'],
      approve: ['awaiting_approval'],
      reject: ['awaiting_approval'],
      undo: ['succeeded', 'partial'],
    }[act]
    if (!expect.includes(run.status)) throw new AppError('CONFLICT', `the run is ${run.status}; cannot ${act} it`)
    if (act === 'approve' && run.requestedBy !== null && run.requestedBy === actor.userId)
      throw new AppError('FORBIDDEN', 'a second person must approve a run you requested')
    // rejecting stops a run, so it is open to anyone with responses.run; acting needs the type's teams
    if (act !== 'reject')
      assertCanRunResponse(actor, run.responseType, (await readResponsePermissions(tx)).teamsByType[run.responseType])
    if (act === 'undo' && !responseTypeOf(run.responseType)?.undo)
      throw new AppError('CONFLICT', `${run.responseType} cannot be undone`)
    const set =
      act === 'press'
        ? { status: 'queued', requestedBy: actor.userId }
        : act === 'approve'
          ? { status: 'queued', approvedBy: actor.userId }
          : act === 'reject'
            ? { status: 'rejected', approvedBy: actor.userId, finishedAt: sql`now()` }
            : {}
    if (Object.keys(set).length) await tx.update(responseRuns).set(set).where(eq(responseRuns.id, runId))
    if (act !== 'reject')
      await enqueue(boss, tx, responseRunJob, { runId, action: act === 'undo' ? ('undo' as const) : ('run' as const) })
    await appendAudit(tx, actor, {
      action: `response.${act}`,
      objectType: 'incident',
      objectId: run.incidentId,
      after: { runId, type: run.responseType, target: run.target },
    })
    return { runId, action: act }
  })
}
