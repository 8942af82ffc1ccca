import type { Context } from 'hono'
import { generateCsr } from '../../../appliance/src/tls/generate-csr.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { tlsPage } from './tls-page.ts'
import { userMessage } from './view.ts'

/** POST /tls/csr — downloads a CSR; its key stays on the appliance. */
export const tlsCsr = async (c: Context<AppEnv>) => {
  const b = await c.req.parseBody()
  try {
    const pem = await generateCsr(c.var.deps.db, c.var.actor!, c.var.deps.config.dataDir, {
      commonName: String(b.commonName ?? ''),
      organization: String(b.organization ?? '') || undefined,
      country: String(b.country ?? '').toUpperCase() || undefined,
      sans: String(b.sans ?? '').split(','),
    })
    return c.body(pem, 200, {
      'Content-Type': 'application/pkcs10',
      'Content-Disposition': 'attachment; filename="clawback.csr"',
    })
  } catch (err) {
    return tlsPage(c, { error: userMessage(err) }, 422)
  }
}
