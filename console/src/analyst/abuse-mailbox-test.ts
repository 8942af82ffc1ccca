import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { testAbuseSettings } from '../../../core/src/domain/abuse/test-abuse-settings.ts'
import { abuseMailboxFormPage } from '../views/abuse-mailbox-form.ts'
import { abuseFieldErrors, readAbuseForm } from './abuse-mailbox-create.ts'

/** POST /sources/abuse-mailbox/test: "Test connection" of the setup form's settings (nothing saved), shown under the form. */
export const abuseMailboxTest = async (c: Context<AppEnv>) => {
  const { v, settings, readers, errors } = await readAbuseForm(c)
  if (Object.keys(errors).length > 0) return abuseMailboxFormPage(c, readers, v, { errors, status: 422 })
  try {
    const test = await testAbuseSettings(c.var.deps.db, c.var.deps.keyring, c.var.log, c.var.actor!, settings)
    return abuseMailboxFormPage(c, readers, v, { test })
  } catch (err) {
    return abuseMailboxFormPage(c, readers, v, { errors: abuseFieldErrors(err), status: 422 })
  }
}
