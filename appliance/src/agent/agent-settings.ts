import { z } from 'zod'
import type { Db, DbOrTx } from '../../../core/src/db/client.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { AppError } from '../../../core/src/errors.ts'
import type { Actor } from '../../../core/src/policy/actor.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { readSetting, writeSetting } from '../../../core/src/settings/settings-store.ts'

/**
 * Endpoint-collection agent settings: how the agent is distributed (SMB protocol; SMBv2 unless an
 * admin explicitly falls back to SMBv1) and the oldest TLS version agents may use to reach the
 * collection endpoint (1.2 unless an admin explicitly allows 1.1 or 1.0 for old agents).
 */
export const ZAgentSettings = z.object({
  smbProtocol: z.enum(['SMB2', 'SMB1']).default('SMB2'),
  tlsMinVersion: z.enum(['TLSv1.2', 'TLSv1.1', 'TLSv1']).default('TLSv1.2'),
  port: z.number().int().min(1).max(65535).default(8444),
})
export type AgentSettings = z.infer<typeof ZAgentSettings>
export const AGENT_KEY = 'agent'

export const SMB1_WARNING =
  'SMBv1 is obsolete and insecure (no encryption, exploited by WannaCry/EternalBlue); enable it only for hosts that cannot speak SMBv2.'
export const LEGACY_TLS_WARNING =
  'TLS 1.0 and 1.1 are deprecated (RFC 8996); allow them only for agents that cannot be updated.'

export const readAgentSettings = (db: DbOrTx) => readSetting(db, AGENT_KEY, ZAgentSettings)

/**
 * Saves the agent settings. SMBv1 needs `confirmSmb1`, TLS below 1.2 needs `confirmLegacyTls`:
 * insecure choices are never made by accident. Audited. @throws FORBIDDEN, INVALID_REQUEST
 */
export const setAgentSettings = async (
  db: Db,
  actor: Actor,
  input: Partial<AgentSettings> & { confirmSmb1?: boolean; confirmLegacyTls?: boolean },
) => {
  assertCan(actor, 'system.manage')
  return db.transaction(async (tx) => {
    const before = await readAgentSettings(tx)
    const parsed = ZAgentSettings.safeParse({
      ...before,
      ...Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== undefined && !k.startsWith('confirm'))),
    })
    if (!parsed.success)
      throw new AppError(
        'INVALID_REQUEST',
        `${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
      )
    const next = parsed.data
    if (next.smbProtocol === 'SMB1' && before.smbProtocol !== 'SMB1' && !input.confirmSmb1)
      throw new AppError('INVALID_REQUEST', `smbProtocol: confirm the SMBv1 fallback. ${SMB1_WARNING}`)
    if (next.tlsMinVersion !== 'TLSv1.2' && next.tlsMinVersion !== before.tlsMinVersion && !input.confirmLegacyTls) {
      throw new AppError(
        'INVALID_REQUEST',
        `tlsMinVersion: confirm allowing ${next.tlsMinVersion}. ${LEGACY_TLS_WARNING}`,
      )
    }
    await writeSetting(tx, AGENT_KEY, next, actor.userId)
    await appendAudit(tx, actor, {
      action: 'agent.settings',
      objectType: 'setting',
      objectId: AGENT_KEY,
      before,
      after: next,
    })
    return next
  })
}
