import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { revokeApiKey } from '../../../core/src/domain/api-keys/revoke-api-key.ts'
import { idParam } from '../forms.ts'
import { redirect } from '../htmx.ts'

/** POST /admin/api-keys/:id/revoke: the key stops working at once; idempotent and audited. */
export const apiKeyRevoke = async (c: Context<AppEnv>) => {
  await revokeApiKey(c.var.deps.db, c.var.actor!, idParam(c))
  return redirect(c, '/admin/api-keys')
}
