import type { Context } from 'hono'
import { html } from 'hono/html'
import { readConnectionSettings } from '../../../appliance/src/settings/connection-settings.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { consolePage, csrfField, errorBox, notice } from './view.ts'

/** GET /connections — SMTP, outbound proxy, VirusTotal API key (secrets are write-only). */
export const connectionsPage = async (
  c: Context<AppEnv>,
  message?: { notice?: string; error?: string },
  status = 200,
) => {
  const s = await readConnectionSettings(c.var.deps.db, c.var.deps.keyring)
  return consolePage(
    c,
    'Connections',
    html`<section class="card"><h1>Connections</h1>${notice(message?.notice)}${errorBox(message?.error)}
  <form method="post" action="/connections">${csrfField(c)}
  <h2>SMTP (notifications)</h2>
  <label>Host <input name="smtpHost" value="${s.smtp.host}"></label><label>Port <input name="smtpPort" type="number" value="${s.smtp.port}"></label>
  <label>Security <select name="smtpSecurity">${['starttls', 'tls', 'none'].map((v) => html`<option${v === s.smtp.security ? html` selected` : ''}>${v}</option>`)}</select></label>
  <label>User name <input name="smtpUsername" value="${s.smtp.username}"></label>
  <label>Password ${s.hasSmtpPassword ? '(stored; leave empty to keep)' : ''} <input name="smtpPassword" type="password" autocomplete="off"></label>
  <label>From address <input name="smtpFrom" value="${s.smtp.from}"></label>
  <h2>Outbound proxy (connectors, feeds)</h2>
  <label>Proxy URL <input name="proxyUrl" value="${s.proxy.url}" placeholder="http://proxy.example:3128"></label><label>No proxy for <input name="noProxy" value="${s.proxy.noProxy}"></label>
  <h2>VirusTotal</h2>
  <label>API key ${s.hasVirusTotalKey ? '(stored; leave empty to keep)' : ''} <input name="virusTotalKey" type="password" autocomplete="off"></label>
  <button class="primary">Save</button></form></section>`,
    status,
  )
}
