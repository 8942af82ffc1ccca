import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { verifyAudit } from '../../../core/src/domain/audit/verify-audit.ts'

/** GET /admin/audit/verify: the hash-chain verdict as a small fragment (loaded by the audit page). */
export const auditVerify = async (c: Context<AppEnv>) => {
  const v = await verifyAudit(c.var.deps.db)
  c.header('Vary', 'HX-Request')
  return c.html(
    v.ok
      ? html`<span id="audit-verify" class="badge ok" title="Every record's hash matches its predecessor">Chain intact · ${v.records} records verified</span>`
      : html`<span id="audit-verify" class="badge bad" role="alert">Chain broken at record ${v.brokenAt}: ${v.reason}</span>`,
  )
}
