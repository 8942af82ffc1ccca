import type { Context } from 'hono'
import { setConnectionSettings } from '../../../appliance/src/settings/connection-settings.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { connectionsPage } from './connections-page.ts'
import { userMessage } from './view.ts'

/** POST /connections */
export const connectionsSave = async (c: Context<AppEnv>) => {
  const b = await c.req.parseBody()
  const s = (k: string) => String(b[k] ?? '').trim()
  try {
    await setConnectionSettings(c.var.deps.db, c.var.actor!, c.var.deps.keyring, {
      smtp: {
        host: s('smtpHost'),
        port: Number(s('smtpPort') || 587),
        security: s('smtpSecurity') || 'starttls',
        username: s('smtpUsername'),
        from: s('smtpFrom'),
      },
      proxy: { url: s('proxyUrl'), noProxy: s('noProxy') },
      smtpPassword: s('smtpPassword') || undefined,
      virusTotalKey: s('virusTotalKey') || undefined,
    })
    return connectionsPage(c, { notice: 'Saved.' })
  } catch (err) {
    return connectionsPage(c, { error: userMessage(err) }, 422)
  }
}
