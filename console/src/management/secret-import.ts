import type { Context } from 'hono'
import { importMasterSecret } from '../../../appliance/src/secret/import-master-secret.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { secretPage } from './secret-page.ts'
import { userMessage } from './view.ts'

/** POST /secret/import — wrong passphrase or a corrupt file: an error, nothing changed. */
export const secretImport = async (c: Context<AppEnv>) => {
  const b = await c.req.parseBody()
  if (!(b.file instanceof File)) return secretPage(c, { error: 'Choose the export file.' }, 422)
  const { db, keyring, config } = c.var.deps
  try {
    const r = await importMasterSecret(
      db,
      c.var.actor!,
      keyring,
      config.masterSecretFile,
      await b.file.text(),
      String(b.passphrase ?? ''),
    )
    return secretPage(c, {
      notice: `Imported. Current key is now ${r.keyId}. Restart the other roles so they load it.`,
    })
  } catch (err) {
    return secretPage(c, { error: userMessage(err) }, 422)
  }
}
