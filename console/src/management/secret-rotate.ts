import type { Context } from 'hono'
import { rotateMasterSecret } from '../../../appliance/src/secret/rotate-master-secret.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { secretPage } from './secret-page.ts'
import { userMessage } from './view.ts'

/** POST /secret/rotate */
export const secretRotate = async (c: Context<AppEnv>) => {
  const { db, keyring, config } = c.var.deps
  try {
    const r = await rotateMasterSecret(db, c.var.actor!, keyring, config.masterSecretFile)
    return secretPage(c, {
      notice: `Rotated to ${r.keyId}; ${r.reencrypted} credential(s) re-encrypted. Export the new secret now.`,
    })
  } catch (err) {
    return secretPage(c, { error: userMessage(err) }, 422)
  }
}
