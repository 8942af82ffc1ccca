import { eq, sql } from 'drizzle-orm'
import { ConnectorError } from '../../connectors/errors.ts'
import type { DbOrTx } from '../../db/client.ts'
import { incidents, responseRuns, users } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { JobContext } from '../../jobs/define-job.ts'
import { SYSTEM } from '../../policy/actor.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { addHistory } from '../incidents/incident-tx.ts'
import { notifyUsers } from '../notifications/notify-users.ts'
import { loadUserActor } from '../users/load-user-actor.ts'
import { readIncidentFacts } from './incident-facts.ts'
import { responseTypeOf } from './response-types.ts'

const FINISHED = new Set(['succeeded', 'partial', 'undone'])
const ENGINE = { ...SYSTEM, label: 'response engine' }
/** response.run's retryLimit (4) + 1: the attempt after which a failure is final. */
const LAST_ATTEMPT = 5
const PERMANENT = new Set(['auth', 'rejected', 'not_found'])
const isPermanent = (err: unknown) =>
  (err instanceof AppError && err.code !== 'INTERNAL' && err.code !== 'UNAVAILABLE') ||
  (err instanceof ConnectorError && PERMANENT.has(err.kind))

/** Tells who asked for the run (a person) and the incident's assignee how it ended. */
const notifyOutcome = async (
  tx: DbOrTx,
  boss: JobContext['boss'],
  run: typeof responseRuns.$inferSelect,
  title: string,
  outcome: string,
) => {
  const [incident] = await tx
    .select({ assigneeId: incidents.assigneeId })
    .from(incidents)
    .where(eq(incidents.id, run.incidentId))
  await notifyUsers(
    tx,
    {
      userIds: [run.requestedBy, incident?.assigneeId],
      incidentId: run.incidentId,
      kind: outcome === 'failed' ? 'response_failed' : 'response_finished',
      message: `${title}${run.target ? ` (${run.target})` : ''} ${outcome} on incident #${run.incidentId}`,
    },
    boss,
  )
}

/**
 * Executes one run (or its undo) and records the outcome on the run, in the incident's history and
 * in the audit log. A run that already finished is left alone (idempotent under job retries). A
 * failure is recorded on the run and rethrown, so the job layer retries or dead-letters it; the
 * last attempt's error stays visible on the incident.
 * @throws the response's ConnectorError/AppError
 */
export const executeResponseRun = async (ctx: JobContext, runId: number, action: 'run' | 'undo') => {
  const { db } = ctx
  const [run] = await db.select().from(responseRuns).where(eq(responseRuns.id, runId))
  if (!run) return { skipped: 'no such run' }
  if (action === 'run' && FINISHED.has(run.status)) return { skipped: `already ${run.status}` }
  if (action === 'undo' && run.status === 'undone') return { skipped: 'already undone' }
  const type = responseTypeOf(run.responseType)
  if (!type) throw new AppError('INVALID_REQUEST', `unknown response type ${run.responseType}`)
  if (action === 'undo' && !type.undo) throw new AppError('INVALID_REQUEST', `${type.title} cannot be undone`)
  // Manual runs act with the permissions of who asked; automatic ones as the engine.
  const requester = run.requestedBy
    ? (await db.select().from(users).where(eq(users.id, run.requestedBy)))[0]
    : undefined
  const actor = requester ? await loadUserActor(db, requester) : ENGINE
  await db
    .update(responseRuns)
    .set({
      status: action === 'run' ? 'running' : run.status,
      attempts: sql`${responseRuns.attempts} + 1`,
      startedAt: sql`coalesce(${responseRuns.startedAt}, now())`,
    })
    .where(eq(responseRuns.id, runId))
  const params = type.params.parse(run.params)
  const rctx = {
    db,
    keyring: ctx.keyring,
    log: ctx.log,
    signal: ctx.signal,
    dataDir: ctx.dataDir,
    actor,
    runId,
    incidentId: run.incidentId,
    facts: await readIncidentFacts(db, run.incidentId),
  }
  try {
    const outcome =
      action === 'run' ? await type.run(params, run.target, rctx) : await type.undo!(params, run.target, rctx)
    await db.transaction(async (tx) => {
      await tx
        .update(responseRuns)
        .set(
          action === 'run'
            ? { status: outcome.status, result: outcome.details, error: null, finishedAt: sql`now()` }
            : {
                status: 'undone',
                undoneAt: sql`now()`,
                result: { ...(run.result as object), undo: outcome.details },
                error: null,
              },
        )
        .where(eq(responseRuns.id, runId))
      const verb = action === 'run' ? (outcome.status === 'partial' ? 'partly succeeded' : 'succeeded') : 'undone'
      await addHistory(tx, actor, run.incidentId, {
        historyType: 'response',
        summary: `${type.title}${run.target ? ` (${run.target})` : ''}: ${verb}`,
        detail: JSON.stringify(outcome.details).slice(0, 4000),
        responseId: runId,
      })
      await appendAudit(tx, actor, {
        action: action === 'run' ? 'response.run' : 'response.undo',
        objectType: 'incident',
        objectId: run.incidentId,
        after: { runId, type: run.responseType, target: run.target, status: outcome.status, details: outcome.details },
      })
      if (action === 'run') await notifyOutcome(tx, ctx.boss, run, type.title, verb)
    })
    return { runId, status: outcome.status }
  } catch (err) {
    const message = err instanceof ConnectorError || err instanceof AppError ? err.message : 'internal error'
    await db.transaction(async (tx) => {
      await tx
        .update(responseRuns)
        .set({ status: action === 'run' ? 'failed' : run.status, error: `${action}: ${message}`.slice(0, 2000) })
        .where(eq(responseRuns.id, runId))
      // Only a final failure is news: earlier attempts are retried by the queue.
      if (action === 'run' && (isPermanent(err) || run.attempts + 1 >= LAST_ATTEMPT))
        await notifyOutcome(tx, ctx.boss, run, type.title, 'failed')
    })
    throw err
  }
}
