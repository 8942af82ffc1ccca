import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { createAbuseMailbox } from '../../../core/src/domain/abuse/create-abuse-mailbox.ts'
import { listMailReaders } from '../../../core/src/domain/abuse/list-mail-readers.ts'
import { AppError } from '../../../core/src/errors.ts'
import { type FormErrors, formErrors, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { ABUSE_PLATFORMS, type AbuseForm, abuseMailboxFormPage } from '../views/abuse-mailbox-form.ts'

/** The domain's `settings.<field>: …` as the form field's error. */
export const abuseFieldErrors = (err: unknown): FormErrors => {
  if (err instanceof AppError && err.code === 'INVALID_REQUEST') {
    const m = /^settings\.([A-Za-z]+): (.*)$/s.exec(err.message)
    if (m) return { [m[1]!]: m[2]! }
  }
  return formErrors(err)
}

/** A platform named by the form or the query. @throws AppError INVALID_REQUEST naming `platform` */
export const abusePlatform = (raw: string) => {
  if (!Object.hasOwn(ABUSE_PLATFORMS, raw))
    throw new AppError('INVALID_REQUEST', `platform: one of ${Object.keys(ABUSE_PLATFORMS).join(', ')}`)
  return raw
}

/**
 * Reads the setup form of one platform: its values (to re-render) and the settings they make (a
 * field the platform does not show keeps its default); a connector of another platform is a field
 * error. @throws AppError INVALID_REQUEST naming `platform`
 */
export const readAbuseForm = async (c: Context<AppEnv>) => {
  const f = await readForm(c)
  const v: AbuseForm = {
    platform: abusePlatform(one(f, 'platform')),
    name: one(f, 'name'),
    connectorId: one(f, 'connectorId'),
    mailbox: one(f, 'mailbox'),
    folder: one(f, 'folder'),
    processedFolder: one(f, 'processedFolder'),
    intervalSeconds: one(f, 'intervalSeconds'),
  }
  const number = (s: string) => (/^\d{1,9}$/.test(s) ? Number(s) : s)
  const settings = {
    connectorId: number(v.connectorId),
    mailbox: v.mailbox,
    ...(v.folder ? { folder: v.folder } : {}),
    ...(v.processedFolder ? { processedFolder: v.processedFolder } : {}),
    ...(v.intervalSeconds ? { intervalSeconds: number(v.intervalSeconds) } : {}),
  }
  const readers = await listMailReaders(c.var.deps.db, c.var.actor!)
  const chosen = readers.find((r) => String(r.id) === v.connectorId)
  const errors: FormErrors =
    chosen && chosen.kind !== v.platform ? { connectorId: `not a ${ABUSE_PLATFORMS[v.platform]!.title} connector` } : {}
  return { v, settings, readers, errors }
}

/** POST /sources/abuse-mailbox: creates an abuse-mailbox source from its platform's form and opens it. */
export const abuseMailboxCreate = async (c: Context<AppEnv>) => {
  const { v, settings, readers, errors } = await readAbuseForm(c)
  if (Object.keys(errors).length > 0) return abuseMailboxFormPage(c, readers, v, { errors, status: 422 })
  try {
    const { source } = await createAbuseMailbox(c.var.deps.db, c.var.actor!, { name: v.name, settings })
    return redirect(c, `/sources/${source.id}`)
  } catch (err) {
    return abuseMailboxFormPage(c, readers, v, { errors: abuseFieldErrors(err), status: 422 })
  }
}
