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
import { parseOr400 } from '../../validation/parse-input.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { lockIncident } from '../incidents/incident-tx.ts'
import { readIncidentFacts } from './incident-facts.ts'
import { responseTypeOf } from './response-types.ts'

/**
 * Runs a response by hand on an incident the actor can see: one run per target, queued — or
 * awaiting a second person's approval when asked. Pressing an offered button is the same call
 * with the run's id (`actOnResponseRun`). Audited. @throws FORBIDDEN (responses.run, or not in a team allowed to run the type), NOT_FOUND, INVALID_REQUEST
 */
export const requestResponseRun = async (
  db: Db,
  boss: PgBoss,
  actor: Actor,
  incidentId: number,
  input: { type: string; params: unknown; requiresApproval?: boolean },
) => {
  assertCan(actor, 'responses.run')
  const type = responseTypeOf(input.type)
  if (!type) throw new AppError('INVALID_REQUEST', 'type: unknown response type')
  assertCanRunResponse(actor, type.type, (await readResponsePermissions(db)).teamsByType[type.type])
  if (type.permission) assertCan(actor, type.permission)
  const params = parseOr400(type.params, input.params ?? {}, 'params', 'params')
  return db.transaction(async (tx) => {
    await lockIncident(tx, actor, incidentId)
    const facts = await readIncidentFacts(tx, incidentId)
    const targets = type.targets(params, facts)
    if (targets.length === 0)
      throw new AppError('INVALID_REQUEST', 'params: the incident has no value for this response')
    const status = input.requiresApproval ? 'awaiting_approval' : 'queued'
    const ids: number[] = []
    for (const target of targets) {
      const [row] = await tx
        .insert(responseRuns)
        .values({
          incidentId,
          responseType: type.type,
          params: params as Record<string, unknown>,
          target,
          status,
          requestedBy: actor.userId,
          idempotencyKey: `manual:${incidentId}:${type.type}:${target}:${Date.now()}:${Math.random().toString(36).slice(2)}`,
        })
        .returning({ id: responseRuns.id })
      ids.push(row!.id)
      if (status === 'queued') await enqueue(boss, tx, responseRunJob, { runId: row!.id, action: 'run' as const })
    }
    await appendAudit(tx, actor, {
      action: 'response.request',
      objectType: 'incident',
      objectId: incidentId,
      after: { type: type.type, targets, status, runIds: ids },
    })
    return { runIds: ids, status }
  })
}

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
