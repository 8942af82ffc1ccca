import type { DbOrTx } from '../../db/client.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, canRunResponse } from '../../policy/index.ts'
import { readResponsePermissions } from '../../settings/response-permissions.ts'
import { RESPONSE_TYPES } from './response-types.ts'

/**
 * Every response type with the teams allowed to run it by hand (empty: anyone with
 * `responses.run`) and whether the caller may. @throws FORBIDDEN (responses.run)
 */
export const listResponsePermissions = async (db: DbOrTx, actor: Actor) => {
  assertCan(actor, 'responses.run')
  const { teamsByType } = await readResponsePermissions(db)
  return RESPONSE_TYPES.map((t) => ({
    type: t.type,
    title: t.title,
    canUndo: !!t.undo,
    teamIds: teamsByType[t.type] ?? [],
    canRun: canRunResponse(actor, teamsByType[t.type]),
  }))
}
