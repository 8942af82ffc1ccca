import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { createAbuseMailbox } from '../../../core/src/domain/abuse/create-abuse-mailbox.ts'
import { AppError } from '../../../core/src/errors.ts'
import { type FormErrors, formErrors, one, readForm } from '../forms.ts'
import { redirect } from '../htmx.ts'
import { sourcePageList } from './source-list.ts'

export type AbuseForm = {
  name: string
  connectorId: string
  mailbox: string
  folder: string
  processedFolder: string
  intervalSeconds: string
}

/** The domain's `settings.<field>: …` as the form field's error. */
const fieldErrors = (err: unknown): FormErrors => {
  if (err instanceof AppError && err.code === 'INVALID_REQUEST') {
    const m = /^settings\.([A-Za-z]+): (.*)$/s.exec(err.message)
    if (m) return { [m[1]!]: m[2]! }
  }
  return formErrors(err)
}

/** POST /sources/abuse-mailbox: creates an abuse-mailbox source (any connector with mail.read) and opens it. */
export const abuseMailboxCreate = async (c: Context<AppEnv>) => {
  const f = await readForm(c)
  const v: AbuseForm = {
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
    ...(v.folder.trim() ? { folder: v.folder } : {}),
    ...(v.processedFolder.trim() ? { processedFolder: v.processedFolder } : {}),
    ...(v.intervalSeconds.trim() ? { intervalSeconds: number(v.intervalSeconds) } : {}),
  }
  try {
    const { source } = await createAbuseMailbox(c.var.deps.db, c.var.actor!, { name: v.name, settings })
    return redirect(c, `/sources/${source.id}`)
  } catch (err) {
    return sourcePageList(c, undefined, {}, 422, { v, errors: fieldErrors(err) })
  }
}
