import { eq } from 'drizzle-orm'
import type { Config } from '../../../core/src/config.ts'
import type { Db, DbOrTx } from '../../../core/src/db/client.ts'
import { settings as settingsTable } from '../../../core/src/db/schema/index.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { writeSetting } from '../../../core/src/settings/settings-store.ts'
import { submitPrivilegedRequest } from '../ops/privileged-requests.ts'
import { newOpId } from '../ops/progress.ts'
import { readHostSettings } from './host-files.ts'
import { DEFAULT_HOST_SETTINGS, type HostSettings, parseHostSettings, ZHostSettings } from './host-settings.ts'

export const HOST_SETTINGS_KEY = 'host'

/** Why host settings cannot be changed in a checkout (shown on the page and by clawbackctl). */
export const READ_ONLY_REASON =
  'This is a checkout (CLAWBACK_PRIVILEGED=in-process): the host name, network, time sources and syslog forwarding belong to the machine Clawback runs on, so they are shown read-only. On the appliance they are edited here and applied by the privileged helper.'

/** Host settings are edited only where root's helper applies them: the appliance. */
export const canEditHostSettings = (config: Pick<Config, 'privileged'>) => config.privileged === 'systemd'

/** The last saved (desired) settings, or undefined before the first save. */
export const readStoredHostSettings = async (db: DbOrTx): Promise<HostSettings | undefined> => {
  const [row] = await db.select().from(settingsTable).where(eq(settingsTable.key, HOST_SETTINGS_KEY))
  const parsed = ZHostSettings.safeParse(row?.value)
  return parsed.success ? parsed.data : undefined
}

/**
 * What to show and edit: the saved settings, else what the files under `root` say, else defaults.
 * `applied` is what is on disk now (undefined when it is not something Clawback would write).
 */
export const readHostSettingsView = async (db: DbOrTx, root: string) => {
  const applied = readHostSettings(root)
  return { desired: (await readStoredHostSettings(db)) ?? applied ?? DEFAULT_HOST_SETTINGS, applied }
}

/**
 * Saves the desired host settings (audited, before → after) and queues a `system-apply` request
 * for root's helper, which validates them again and writes them to /etc; its progress is the
 * returned operation's status file. The request is queued after the commit, so it never carries
 * settings that were not stored. @throws FORBIDDEN, INVALID_REQUEST ("field: reason"),
 * CONFLICT in a checkout (read-only there).
 */
export const setHostSettings = async (
  db: Db,
  actor: Actor,
  config: Pick<Config, 'privileged' | 'dataDir'>,
  input: unknown,
) => {
  assertCan(actor, 'system.manage')
  if (!canEditHostSettings(config)) throw new AppError('CONFLICT', READ_ONLY_REASON)
  const next = parseHostSettings(input)
  const opId = newOpId('system')
  await db.transaction(async (tx) => {
    const before = await readStoredHostSettings(tx)
    await writeSetting(tx, HOST_SETTINGS_KEY, next, actor.userId)
    await appendAudit(tx, actor, {
      action: 'system.host_settings',
      objectType: 'setting',
      objectId: HOST_SETTINGS_KEY,
      before: before ?? null,
      after: { ...next, opId },
    })
  })
  submitPrivilegedRequest(config.dataDir, { kind: 'system-apply', opId, settings: next, requestedBy: actor.label })
  return { settings: next, opId }
}
