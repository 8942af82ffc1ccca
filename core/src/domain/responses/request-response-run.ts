import type { PgBoss } from 'pg-boss'
import type { Db } from '../../db/client.ts'
import { responseRuns } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
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
