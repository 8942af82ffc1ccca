import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { createList } from '../../../core/src/domain/lists/create-list.ts'
import { formErrors, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { listPageIndex } from './list-index.ts'

/** POST /lists */
export const listCreate = async (c: Context<AppEnv>) => {
  const f = await readForm(c)
  const v = { name: one(f, 'name'), type: one(f, 'type'), description: one(f, 'description') }
  try {
    const row = await createList(c.var.deps.db, c.var.deps.keyring, c.var.actor!, v)
    return redirect(c, `/lists/${row.list.id}`)
  } catch (err) {
    return listPageIndex(c, v, formErrors(err), 422)
  }
}
