import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { createInvestigation } from '../../../core/src/domain/investigations/create-investigation.ts'
import { checked, formErrors, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { investigationPageList } from './investigation-list.ts'

/** POST /investigations: creates one (audited) and opens it. */
export const investigationCreate = async (c: Context<AppEnv>) => {
  const f = await readForm(c)
  const v = {
    name: one(f, 'name'),
    description: f.description?.[0] ?? '',
    teamId: one(f, 'teamId'),
    isPrivate: checked(f, 'isPrivate'),
  }
  try {
    const row = await createInvestigation(c.var.deps.db, c.var.actor!, {
      name: v.name,
      description: v.description,
      teamId: /^\d+$/.test(v.teamId) ? Number(v.teamId) : null,
      isPrivate: v.isPrivate,
    })
    return redirect(c, `/investigations/${row.id}`)
  } catch (err) {
    return investigationPageList(c, v, formErrors(err), 422)
  }
}
