import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { addMember } from '../../../core/src/domain/lists/add-list-member.ts'
import { deleteMember } from '../../../core/src/domain/lists/delete-list-member.ts'
import { formErrors, idParam, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { listPage } from './list-show.ts'

/** POST /lists/:id/members (member, description, expires as a UTC day): validated by the list's type. */
export const listMemberAdd = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const f = await readForm(c)
  const v = { member: one(f, 'member'), description: one(f, 'description'), expires: one(f, 'expires') }
  const expiration = /^\d{4}-\d{2}-\d{2}$/.test(v.expires) ? new Date(`${v.expires}T23:59:59Z`) : null
  try {
    await addMember(c.var.deps.db, c.var.actor!, id, { member: v.member, description: v.description, expiration })
    return redirect(c, `/lists/${id}`)
  } catch (err) {
    return listPage(c, id, formErrors(err), 422, v)
  }
}

/** POST /lists/:id/members/:memberId/delete */
export const listMemberDelete = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  await deleteMember(c.var.deps.db, c.var.actor!, id, idParam(c, 'memberId'))
  return redirect(c, `/lists/${id}`)
}
