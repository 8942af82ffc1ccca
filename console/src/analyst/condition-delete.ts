import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { deleteMatchCondition } from '../../../core/src/domain/matching/delete-match-condition.ts'
import { getMatchCondition } from '../../../core/src/domain/matching/get-match-condition.ts'
import { idParam } from '../forms.ts'
import { redirect } from '../htmx.ts'

/** POST /match-conditions/:id/delete */
export const conditionDelete = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const { sourceId } = await getMatchCondition(c.var.deps.db, c.var.actor!, id)
  await deleteMatchCondition(c.var.deps.db, c.var.actor!, id)
  return redirect(c, `/sources/${sourceId}/conditions`)
}
