import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listMailReaders } from '../../../core/src/domain/abuse/list-mail-readers.ts'
import { abuseMailboxFormPage, emptyAbuseForm } from '../views/abuse-mailbox-form.ts'
import { abusePlatform } from './abuse-mailbox-create.ts'

/** GET /sources/abuse-mailbox/new?platform=imap|msgraph|gmail|ews: that platform's setup form. */
export const abuseMailboxNew = async (c: Context<AppEnv>) => {
  const platform = abusePlatform(c.req.query('platform') ?? '')
  const readers = await listMailReaders(c.var.deps.db, c.var.actor!)
  return abuseMailboxFormPage(c, readers, emptyAbuseForm(platform))
}
