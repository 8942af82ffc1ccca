import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { setResponsePermission } from '../../../core/src/domain/responses/set-response-permission.ts'
import { all, formErrors, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { responsePermissionPage } from './response-permission-list.ts'

/**
 * POST /responses/permissions/:type — the teams allowed to run the type by hand (none ticked: all
 * teams with responses.run), through the same audited domain call as the API's PUT.
 */
export const responsePermissionUpdate = async (c: Context<AppEnv>) => {
  const type = c.req.param('type') ?? ''
  const raw = all(await readForm(c), 'teamIds')
  const teamIds = raw.filter((v) => /^[1-9]\d{0,15}$/.test(v)).map(Number)
  try {
    if (teamIds.length !== raw.length || teamIds.length > 1000)
      return await responsePermissionPage(c, { type, teamIds, errors: { teamIds: 'not a team' } }, 422)
    await setResponsePermission(c.var.deps.db, c.var.actor!, type, teamIds)
  } catch (err) {
    return responsePermissionPage(c, { type, teamIds, errors: formErrors(err) }, 422)
  }
  return redirect(c, `/responses/permissions?saved=${encodeURIComponent(type)}`)
}
