import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { createSource } from '../../../core/src/domain/sources/create-source.ts'
import { formErrors, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { sourcePageList } from './source-list.ts'

/** POST /sources: creates a JSON or CSV source and opens it (the POST URL is shown there). */
export const sourceCreate = async (c: Context<AppEnv>) => {
  const f = await readForm(c)
  const v = { name: one(f, 'name'), type: one(f, 'type') }
  try {
    const { source } = await createSource(c.var.deps.db, c.var.deps.keyring, c.var.actor!, v)
    return redirect(c, `/sources/${source.id}`)
  } catch (err) {
    return sourcePageList(c, v, formErrors(err), 422)
  }
}
