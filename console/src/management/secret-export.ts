import type { Context } from 'hono'
import { exportMasterSecret } from '../../../appliance/src/secret/export-master-secret.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { secretPage } from './secret-page.ts'
import { userMessage } from './view.ts'

/** POST /secret/export — downloads the passphrase-wrapped export file. */
export const secretExport = async (c: Context<AppEnv>) => {
  const b = await c.req.parseBody()
  if (b.passphrase !== b.confirm) return secretPage(c, { error: 'The passphrases do not match.' }, 422)
  try {
    const text = await exportMasterSecret(c.var.deps.db, c.var.actor!, c.var.deps.keyring, String(b.passphrase ?? ''))
    const stamp = new Date().toISOString().slice(0, 10)
    return c.body(text, 200, {
      'Content-Type': 'application/json',
      'Content-Disposition': `attachment; filename="clawback-master-secret-${stamp}.json"`,
      'Cache-Control': 'no-store',
    })
  } catch (err) {
    return secretPage(c, { error: userMessage(err) }, 422)
  }
}
