import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listManifests } from '../../../core/src/connectors/index.ts'
import { listConnectors } from '../../../core/src/domain/connectors/list-connectors.ts'
import { readNotificationSettings } from '../../../core/src/settings/notifications.ts'
import { readProxySettings } from '../../../core/src/settings/proxy.ts'
import { consolePage, csrfField, errorBox, notice } from './view.ts'

/**
 * GET /connections — connector instances (SMTP relays, webhooks, VirusTotal, ...), the outbound
 * proxy, and which relay sends workflow notification e-mails.
 */
export const connectionsPage = async (
  c: Context<AppEnv>,
  message?: { notice?: string; error?: string },
  status = 200,
) => {
  const { db } = c.var.deps
  const [connectors, proxy, notifications] = await Promise.all([
    listConnectors(db, c.var.actor!),
    readProxySettings(db),
    readNotificationSettings(db),
  ])
  return consolePage(
    c,
    'Connections',
    html`<section class="card"><h1>Connectors</h1>${notice(message?.notice)}${errorBox(message?.error)}
  <table><thead><tr><th>Name</th><th>Kind</th><th>State</th><th>Last test</th><th></th></tr></thead><tbody>
  ${connectors.map(
    (k) => html`<tr><td><a href="/connections/${k.id}">${k.name}</a></td><td>${k.kind}</td>
    <td>${k.isEnabled ? 'enabled' : 'disabled'}${k.isOnPremises ? ' · on-premises' : ''}</td>
    <td id="test-${k.id}">${k.lastTest ? html`<span class="badge">${k.lastTest.isOk ? 'ok' : 'failed'}</span> ${k.lastTest.message}` : html`<span class="muted">not tested</span>`}</td>
    <td><form method="post" action="/connections/${k.id}/test" hx-post="/connections/${k.id}/test" hx-target="#test-${k.id}">${csrfField(c)}<button>Test connection</button></form></td></tr>`,
  )}
  ${connectors.length ? '' : html`<tr><td colspan="5" class="muted">No connectors yet.</td></tr>`}
  </tbody></table>
  <form method="get" action="/connections/new"><label>Add a connector <select name="kind">${listManifests().map(
    (m) => html`<option value="${m.kind}">${m.title}</option>`,
  )}</select></label> <button class="primary">Add</button></form></section>
  <section class="card"><h2>Outbound proxy (connectors, feeds)</h2>
  <form method="post" action="/connections/proxy">${csrfField(c)}
  <label>Proxy URL <input name="proxyUrl" value="${proxy.url}" placeholder="http://proxy.example:3128"></label>
  <label>No proxy for <input name="noProxy" value="${proxy.noProxy}" placeholder="corp.example, 10.0.0.5"></label>
  <button class="primary">Save proxy</button></form></section>
  <section class="card"><h2>Workflow notifications</h2>
  <form method="post" action="/connections/notifications">${csrfField(c)}
  <label>E-mail through <select name="connectorId"><option value="">the first enabled SMTP connector</option>${connectors
    .filter((k) => k.kind === 'smtp')
    .map(
      (k) =>
        html`<option value="${k.id}"${notifications.connectorId === k.id ? html` selected` : ''}>${k.name}</option>`,
    )}</select></label>
  <label>Notify when the score reaches <input name="scoreThreshold" type="number" min="0" max="1000" value="${notifications.scoreThreshold}"></label>
  <button class="primary">Save notifications</button></form></section>`,
    status,
  )
}
