import type { Context } from 'hono'
import { html } from 'hono/html'
import { LEGACY_TLS_WARNING, readAgentSettings, SMB1_WARNING } from '../../../appliance/src/agent/agent-settings.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { consolePage, csrfField, errorBox, notice } from './view.ts'

/** GET /agent — SMB protocol for agent distribution and the agents' minimum TLS version. */
export const agentPage = async (c: Context<AppEnv>, message?: { notice?: string; error?: string }, status = 200) => {
  const s = await readAgentSettings(c.var.deps.db)
  const opt = (v: string, cur: string, label: string) =>
    html`<option value="${v}"${v === cur ? html` selected` : ''}>${label}</option>`
  return consolePage(
    c,
    'Agents',
    html`<section class="card"><h1>Endpoint-collection agents</h1>${notice(message?.notice)}${errorBox(message?.error)}
  ${s.smbProtocol === 'SMB1' ? html`<p class="error">SMBv1 fallback is on. ${SMB1_WARNING}</p>` : ''}
  ${s.tlsMinVersion !== 'TLSv1.2' ? html`<p class="error">Agents may use ${s.tlsMinVersion}. ${LEGACY_TLS_WARNING}</p>` : ''}
  <form method="post" action="/agent">${csrfField(c)}
  <label>Distribution over SMB <select name="smbProtocol">${opt('SMB2', s.smbProtocol, 'SMBv2 or later (default)')}${opt('SMB1', s.smbProtocol, 'SMBv1 fallback (insecure)')}</select></label>
  <label><input type="checkbox" name="confirmSmb1" value="yes" class="inline-check"> I understand the SMBv1 risk</label>
  <label>Minimum TLS version agents may use <select name="tlsMinVersion">${opt('TLSv1.2', s.tlsMinVersion, 'TLS 1.2 (default)')}${opt('TLSv1.1', s.tlsMinVersion, 'TLS 1.1 (deprecated)')}${opt('TLSv1', s.tlsMinVersion, 'TLS 1.0 (deprecated)')}</select></label>
  <label><input type="checkbox" name="confirmLegacyTls" value="yes" class="inline-check"> I understand the risk of TLS 1.0/1.1</label>
  <label>Collection endpoint port <input type="number" name="port" min="1" max="65535" value="${s.port}"></label>
  <button class="primary">Save</button></form></section>`,
    status,
  )
}
