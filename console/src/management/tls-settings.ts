import type { Context } from 'hono'
import { setWebTls } from '../../../appliance/src/tls/tls-context.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { tlsPage } from './tls-page.ts'
import { userMessage } from './view.ts'

/** POST /tls/settings */
export const tlsSettings = async (c: Context<AppEnv>) => {
  const b = await c.req.parseBody()
  try {
    const r = await setWebTls(c.var.deps.db, c.var.actor!, c.var.deps.config.dataDir, {
      minVersion: b.minVersion as 'TLSv1.2',
    })
    return tlsPage(c, { notice: `Minimum TLS version is ${r.minVersion}.` })
  } catch (err) {
    return tlsPage(
      c,
      {
        error:
          err instanceof Error && err.name === 'ZodError' ? 'minVersion: choose TLSv1.2 or TLSv1.3' : userMessage(err),
      },
      422,
    )
  }
}
