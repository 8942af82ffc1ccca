import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { createApiKey } from '../../../core/src/domain/api-keys/create-api-key.ts'
import { all, formErrors, one, readForm } from '../forms.ts'
import { apiKeyPage, type KeyValues } from './api-key-list.ts'

/**
 * POST /admin/api-keys: creates the key and answers the page with the key shown once. Not a
 * redirect on purpose: the key must never travel in a URL or be fetchable again.
 */
export const apiKeyCreate = async (c: Context<AppEnv>) => {
  const f = await readForm(c)
  const values: KeyValues = { name: one(f, 'name'), teams: all(f, 'teams'), expires: one(f, 'expires') }
  let expiresAt: Date | undefined
  if (values.expires) {
    expiresAt = new Date(`${values.expires}T23:59:59Z`)
    if (Number.isNaN(expiresAt.getTime()) || expiresAt < new Date())
      return apiKeyPage(c, { values, errors: { expires: 'must be a date in the future' }, status: 422 })
  }
  try {
    const created = await createApiKey(c.var.deps.db, c.var.actor!, {
      name: values.name,
      teams: values.teams,
      expiresAt,
    })
    return apiKeyPage(c, { created: { name: created.name, key: created.key } })
  } catch (err) {
    return apiKeyPage(c, { values, errors: formErrors(err), status: 422 })
  }
}
