import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { setUserTeams } from '../../../core/src/domain/users/set-user-teams.ts'
import { all, formErrors, idParam, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { userPage } from './user-edit.ts'

/** POST /admin/users/:id/teams: sets the memberships to the ticked teams (audited per change). */
export const userTeams = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  const teamIds = all(f, 'teams')
    .filter((s) => /^\d{1,15}$/.test(s))
    .map(Number)
  try {
    await setUserTeams(c.var.deps.db, c.var.actor!, { userId: id, teamIds })
    return redirect(c, `/admin/users/${id}?saved=1`)
  } catch (err) {
    return userPage(c, id, formErrors(err), 422)
  }
}
