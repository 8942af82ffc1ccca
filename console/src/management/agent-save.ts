import type { Context } from 'hono'
import { setAgentSettings } from '../../../appliance/src/agent/agent-settings.ts'
import { reloadCollectionEndpoints } from '../../../appliance/src/agent/collection-endpoint.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { agentPage } from './agent-page.ts'
import { userMessage } from './view.ts'

/** POST /agent */
export const agentSave = async (c: Context<AppEnv>) => {
  const b = await c.req.parseBody()
  try {
    await setAgentSettings(c.var.deps.db, c.var.actor!, {
      smbProtocol: b.smbProtocol as 'SMB2',
      tlsMinVersion: b.tlsMinVersion as 'TLSv1.2',
      port: b.port ? Number(b.port) : undefined,
      confirmSmb1: b.confirmSmb1 === 'yes',
      confirmLegacyTls: b.confirmLegacyTls === 'yes',
    })
    await reloadCollectionEndpoints()
    return agentPage(c, { notice: 'Saved. The collection endpoint applies it to new connections.' })
  } catch (err) {
    return agentPage(c, { error: userMessage(err) }, 422)
  }
}
