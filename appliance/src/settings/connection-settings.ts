import { z } from 'zod'
import { getCredential, putCredential } from '../../../core/src/crypto/credentials.ts'
import type { Keyring } from '../../../core/src/crypto/master-secret.ts'
import type { Db, DbOrTx } from '../../../core/src/db/client.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { PROXY_KEY, ZProxy } from '../../../core/src/settings/proxy.ts'
import { readSetting, writeSetting } from '../../../core/src/settings/settings-store.ts'

/** Outbound mail for notifications. The password is a credential, never in settings. */
export const ZSmtp = z.object({
  host: z.string().max(253).default(''),
  port: z.number().int().min(1).max(65535).default(587),
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  username: z.string().max(200).default(''),
  from: z.string().max(320).default(''),
})

export const SMTP_KEY = 'smtp'
const SMTP_PASSWORD = { ownerKind: 'system', ownerId: 'smtp', name: 'password' }
export const VIRUSTOTAL_KEY = { ownerKind: 'system', ownerId: 'virustotal', name: 'api_key' }

const parse = <T>(schema: z.ZodType<T>, input: unknown) => {
  const r = schema.safeParse(input)
  if (!r.success)
    throw new AppError('INVALID_REQUEST', `${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`)
  return r.data
}

export const readConnectionSettings = async (db: DbOrTx, keyring: Keyring) => ({
  smtp: await readSetting(db, SMTP_KEY, ZSmtp),
  hasSmtpPassword: (await getCredential(db, keyring, SMTP_PASSWORD).catch(() => undefined)) !== undefined,
  proxy: await readSetting(db, PROXY_KEY, ZProxy),
  hasVirusTotalKey: (await getCredential(db, keyring, VIRUSTOTAL_KEY).catch(() => undefined)) !== undefined,
})

/**
 * Saves SMTP, proxy and (when given) the SMTP password and VirusTotal API key as credentials.
 * Empty secret fields keep the stored value. Audited without secret values. @throws FORBIDDEN, INVALID_REQUEST
 */
export const setConnectionSettings = async (
  db: Db,
  actor: Actor,
  keyring: Keyring,
  input: { smtp?: unknown; proxy?: unknown; smtpPassword?: string; virusTotalKey?: string },
) => {
  assertCan(actor, 'system.manage')
  const smtp = input.smtp === undefined ? undefined : parse(ZSmtp, input.smtp)
  const proxy = input.proxy === undefined ? undefined : parse(ZProxy, input.proxy)
  if (proxy?.url && !/^https?:\/\/[^\s]+$/.test(proxy.url))
    throw new AppError('INVALID_REQUEST', 'proxy.url: expected http://host:port')
  if (input.virusTotalKey && !/^[a-f0-9]{64}$/i.test(input.virusTotalKey))
    throw new AppError('INVALID_REQUEST', 'virusTotalKey: a VirusTotal API key is 64 hexadecimal characters')
  await db.transaction(async (tx) => {
    if (smtp) await writeSetting(tx, SMTP_KEY, smtp, actor.userId)
    if (proxy) await writeSetting(tx, PROXY_KEY, proxy, actor.userId)
    if (input.smtpPassword) await putCredential(tx, keyring, SMTP_PASSWORD, input.smtpPassword)
    if (input.virusTotalKey) await putCredential(tx, keyring, VIRUSTOTAL_KEY, input.virusTotalKey)
    await appendAudit(tx, actor, {
      action: 'system.connection_settings',
      objectType: 'setting',
      after: { smtp, proxy, smtpPasswordChanged: !!input.smtpPassword, virusTotalKeyChanged: !!input.virusTotalKey },
    })
  })
}
