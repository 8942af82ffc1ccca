import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { setProxySettings } from '../../../core/src/domain/connectors/set-proxy-settings.ts'
import { one, readForm } from '../forms.ts'
import { connectionsPage } from './connections-page.ts'
import { userMessage } from './view.ts'

/** POST /connections/proxy */
export const proxySave = async (c: Context<AppEnv>) => {
  const form = await readForm(c)
  try {
    await setProxySettings(c.var.deps.db, c.var.actor!, { url: one(form, 'proxyUrl'), noProxy: one(form, 'noProxy') })
    return connectionsPage(c, { notice: 'Proxy saved.' })
  } catch (err) {
    return connectionsPage(c, { error: userMessage(err) }, 422)
  }
}
