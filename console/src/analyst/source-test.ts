import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { testAbuseMailbox } from '../../../core/src/domain/abuse/test-abuse-mailbox.ts'
import { idParam } from '../forms.ts'
import { sourcePage } from './source-show.ts'

/** POST /sources/:id/test: an abuse mailbox's connection test (log in, open the folder, count), shown on its page. */
export const sourceTest = async (c: Context<AppEnv>) => {
  const id = idParam(c)
  const test = await testAbuseMailbox(c.var.deps.db, c.var.deps.keyring, c.var.log, c.var.actor!, id)
  return sourcePage(c, id, { test })
}
