import type { Context } from 'hono'
import { html } from 'hono/html'
import { backupFile } from '../../../appliance/src/backup/list-backups.ts'
import { readBackup } from '../../../appliance/src/backup/read-backup.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { errorBox, userMessage } from './view.ts'

/** POST /backups/:name/verify — decrypts and checks every entry; answers with the outcome. Audited. */
export const backupVerify = async (c: Context<AppEnv>) => {
  assertCan(c.var.actor!, 'system.manage')
  const name = c.req.param('name') ?? ''
  const { config, keyring, db } = c.var.deps
  try {
    const { meta } = await readBackup(backupFile(config.dataDir, name), keyring)
    const rows = meta.tables.reduce((s, t) => s + t.rows, 0)
    await db.transaction((tx) =>
      appendAudit(tx, c.var.actor!, {
        action: 'backup.verify',
        objectType: 'backup',
        objectId: name,
        after: { ok: true },
      }),
    )
    return c.html(
      html`<p class="notice verify-ok" role="status">Verified: version ${meta.releaseVersion}, ${meta.tables.length} tables, ${rows} rows, ${meta.blobs} blobs, taken ${meta.createdAt}.</p>`,
    )
  } catch (err) {
    return c.html(errorBox(`Verification failed: ${userMessage(err)}`), 422)
  }
}
