import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { createMatchCondition } from '../../../core/src/domain/matching/create-match-condition.ts'
import { getMatchCondition } from '../../../core/src/domain/matching/get-match-condition.ts'
import { updateMatchCondition } from '../../../core/src/domain/matching/update-match-condition.ts'
import { AppError } from '../../../core/src/errors.ts'
import { idParam, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { draftFromForm, inputFromDraft } from '../views/condition-form.ts'
import { conditionPage } from './condition-edit.ts'

const invalid = (err: unknown) => {
  if (err instanceof AppError && err.code === 'INVALID_REQUEST') return { _: err.message }
  throw err
}

/** POST /sources/:id/conditions — create; back to the list, or 422 with the draft and the field named. */
export const conditionCreate = async (c: Context<AppEnv>) => {
  const sourceId = idParam(c)
  const draft = draftFromForm(await readForm(c))
  try {
    await createMatchCondition(c.var.deps.db, c.var.actor!, sourceId, inputFromDraft(draft))
  } catch (err) {
    return conditionPage(c, sourceId, undefined, draft, invalid(err), 422)
  }
  return redirect(c, `/sources/${sourceId}/conditions`)
}

/** POST /match-conditions/:id — save changes. */
export const conditionUpdate = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const { sourceId } = await getMatchCondition(c.var.deps.db, c.var.actor!, id)
  const draft = draftFromForm(await readForm(c))
  try {
    await updateMatchCondition(c.var.deps.db, c.var.actor!, id, inputFromDraft(draft))
  } catch (err) {
    return conditionPage(c, sourceId!, id, draft, invalid(err), 422)
  }
  return redirect(c, `/sources/${sourceId}/conditions`)
}
