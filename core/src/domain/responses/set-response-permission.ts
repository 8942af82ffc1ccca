import { inArray, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { teams } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { RESPONSE_PERMISSIONS_KEY, readResponsePermissions } from '../../settings/response-permissions.ts'
import { writeSetting } from '../../settings/settings-store.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { responseTypeOf } from './response-types.ts'

/**
 * Sets which teams may run a response type by hand (an empty list opens it to anyone with
 * `responses.run`). Audited as `response.permissions` with before and after.
 * @throws FORBIDDEN (teams.manage), NOT_FOUND (no such response type), INVALID_REQUEST (teamIds: unknown team)
 */
export const setResponsePermission = async (db: Db, actor: Actor, type: string, teamIds: number[]) => {
  assertCan(actor, 'teams.manage')
  if (!responseTypeOf(type)) throw new AppError('NOT_FOUND', 'response type not found')
  const ids = [...new Set(teamIds)].sort((a, b) => a - b)
  return db.transaction(async (tx) => {
    if (ids.length) {
      const found = await tx.select({ id: teams.id }).from(teams).where(inArray(teams.id, ids))
      if (found.length !== ids.length) throw new AppError('INVALID_REQUEST', 'teamIds: unknown team')
    }
    // read-modify-write of one settings row: serialised so two edits of different types both stay
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${RESPONSE_PERMISSIONS_KEY}, 7))`)
    const current = await readResponsePermissions(tx)
    const before = current.teamsByType[type] ?? []
    const teamsByType = { ...current.teamsByType }
    if (ids.length) teamsByType[type] = ids
    else delete teamsByType[type]
    await writeSetting(tx, RESPONSE_PERMISSIONS_KEY, { teamsByType }, actor.userId)
    await appendAudit(tx, actor, {
      action: 'response.permissions',
      objectType: 'response_type',
      before: { type, teamIds: before },
      after: { type, teamIds: ids },
    })
    return { type, teamIds: ids }
  })
}
