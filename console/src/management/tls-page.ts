import type { Context } from 'hono'
import { html } from 'hono/html'
import { WEB_TLS_KEY, ZWebTls } from '../../../appliance/src/tls/tls-context.ts'
import { describeCertificate } from '../../../appliance/src/tls/tls-files.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { readSetting } from '../../../core/src/settings/settings-store.ts'
import { consolePage, csrfField, errorBox, notice } from './view.ts'

/** GET /tls — installed certificate, CSR, upload, minimum TLS version of the web roles. */
export const tlsPage = async (c: Context<AppEnv>, message?: { notice?: string; error?: string }, status = 200) => {
  const cert = describeCertificate(c.var.deps.config.dataDir)
  const web = await readSetting(c.var.deps.db, WEB_TLS_KEY, ZWebTls)
  return consolePage(
    c,
    'TLS',
    html`<section class="card"><h1>TLS certificate</h1>${notice(message?.notice)}${errorBox(message?.error)}
  ${
    cert
      ? html`<table><tr><th>Subject</th><td class="mono">${cert.subject}</td></tr><tr><th>Issuer</th><td class="mono">${cert.issuer}${cert.isSelfSigned ? ' (self-signed)' : ''}</td></tr>
      <tr><th>Names</th><td class="mono">${cert.subjectAltName}</td></tr><tr><th>Valid</th><td>${cert.validFrom} – ${cert.validTo}</td></tr><tr><th>SHA-256</th><td class="mono">${cert.fingerprint256}</td></tr></table>`
      : html`<p class="muted">No certificate yet: a self-signed one is created when a web role starts with TLS.</p>`
  }</section>
<section class="card"><h2>Certificate request (CSR)</h2>
  <form method="post" action="/tls/csr">${csrfField(c)}
  <label>Host name (common name) <input name="commonName" required></label>
  <label>Other names, comma-separated <input name="sans"></label>
  <label>Organization <input name="organization"></label><label>Country (two letters) <input name="country" maxlength="2"></label>
  <button>Download CSR</button></form></section>
<section class="card"><h2>Install a certificate</h2>
  <form method="post" action="/tls/certificate">${csrfField(c)}
  <label>Certificate (PEM) <textarea name="certificate" rows="6" required></textarea></label>
  <label>Chain, server's issuer first (PEM) <textarea name="chain" rows="6"></textarea></label>
  <label>Private key (PEM; leave empty when the certificate answers this appliance's CSR) <textarea name="privateKey" rows="6"></textarea></label>
  <label>Host name it must cover <input name="hostname" required></label>
  <button class="primary">Validate and install</button></form></section>
<section class="card"><h2>Minimum TLS version (web roles)</h2>
  <form method="post" action="/tls/settings">${csrfField(c)}<select name="minVersion">
  ${['TLSv1.2', 'TLSv1.3'].map((v) => html`<option${v === web.minVersion ? html` selected` : ''}>${v}</option>`)}</select><button>Save</button></form></section>`,
    status,
  )
}
