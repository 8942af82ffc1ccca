import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listTeams } from '../../../core/src/domain/teams/list-teams.ts'
import { setMembership } from '../../../core/src/domain/teams/set-membership.ts'
import { AppError } from '../../../core/src/errors.ts'
import { idParam, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { teamPage } from './team-edit.ts'

/** POST /admin/teams/:id/members (username, member=true|false): adds or removes one member; audited. */
export const teamMember = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  const team = (await listTeams(c.var.deps.db, c.var.actor!)).find((t) => t.id === id)
  if (!team) throw new AppError('NOT_FOUND', 'team not found')
  try {
    await setMembership(c.var.deps.db, c.var.actor!, {
      team: team.name,
      username: one(f, 'username'),
      member: one(f, 'member') !== 'false',
    })
    return redirect(c, `/admin/teams/${id}?saved=1`)
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND')
      return teamPage(c, id, { member: `No user called ${one(f, 'username')}.` }, 422)
    throw err
  }
}
