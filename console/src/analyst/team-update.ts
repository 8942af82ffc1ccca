import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { updateTeam } from '../../../core/src/domain/teams/update-team.ts'
import { all, checked, formErrors, idParam, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { teamPage } from './team-edit.ts'

/** POST /admin/teams/:id: description, private flag and permissions (audited with before/after). */
export const teamUpdate = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  const v = {
    description: one(f, 'description'),
    isPrivate: checked(f, 'isPrivate'),
    permissions: all(f, 'permissions'),
  }
  try {
    await updateTeam(c.var.deps.db, c.var.actor!, { teamId: id, ...v })
    return redirect(c, `/admin/teams/${id}?saved=1`)
  } catch (err) {
    return teamPage(c, id, formErrors(err), 422, { name: '', ...v })
  }
}
