import type { Context } from 'hono'
import { installCertificate } from '../../../appliance/src/tls/install-certificate.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { tlsPage } from './tls-page.ts'
import { userMessage } from './view.ts'

/** POST /tls/certificate — validated install; the web roles switch without a restart. */
export const tlsCertificate = async (c: Context<AppEnv>) => {
  const b = await c.req.parseBody()
  try {
    const r = await installCertificate(c.var.deps.db, c.var.actor!, c.var.deps.config.dataDir, {
      certificate: String(b.certificate ?? ''),
      chain: String(b.chain ?? ''),
      privateKey: String(b.privateKey ?? ''),
      hostname: String(b.hostname ?? ''),
    })
    return tlsPage(c, { notice: `Installed ${r.subject}, valid until ${r.validTo}.` })
  } catch (err) {
    return tlsPage(c, { error: userMessage(err) }, 422)
  }
}
