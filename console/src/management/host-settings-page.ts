import type { Context } from 'hono'
import { html } from 'hono/html'
import { listOps, readOp } from '../../../appliance/src/ops/progress.ts'
import {
  canEditHostSettings,
  READ_ONLY_REASON,
  readHostSettingsView,
} from '../../../appliance/src/system/set-host-settings.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { type FormErrors, fieldError } from '../forms.ts'
import { type HostFormValues, hostFormValues } from './host-settings-form.ts'
import { consolePage, csrfField, errorBox, notice, opFragment } from './view.ts'

type Shown = { notice?: string; error?: string; values?: HostFormValues; errors?: FormErrors; opId?: string }

const select = (name: string, value: string, options: string[]) =>
  html`<select name="${name}">${options.map((o) => html`<option${o === value ? html` selected` : ''}>${o}</option>`)}</select>`

/**
 * GET /host — host name, network, NTP and syslog forwarding. Editable on the appliance
 * (saving queues the privileged helper; its progress polls below); a disabled form with the
 * reason in a checkout. Re-rendered with the submitted values and the error beside the field.
 */
export const hostSettingsPage = async (c: Context<AppEnv>, shown: Shown = {}, status = 200) => {
  const { config, db } = c.var.deps
  const isEditable = canEditHostSettings(config)
  const view = await readHostSettingsView(db, config.root)
  const v = shown.values ?? hostFormValues(view.desired)
  const e = shown.errors ?? {}
  const op = shown.opId ? readOp(config.dataDir, shown.opId) : listOps(config.dataDir).find((o) => o.kind === 'system')
  const input = (name: keyof HostFormValues, label: string, placeholder = '') =>
    html`<label>${label} <input name="${name}" value="${v[name]}"${placeholder ? html` placeholder="${placeholder}"` : ''}>${fieldError(e, name)}</label>`
  const check = (name: keyof HostFormValues, label: string) =>
    html`<label><input type="checkbox" name="${name}"${v[name] === 'on' ? html` checked` : ''}> ${label}</label>${fieldError(e, name)}`
  return consolePage(
    c,
    'Host settings',
    html`<section class="card"><h1>Host settings</h1>${notice(shown.notice)}${errorBox(shown.error ?? e._)}
  ${isEditable ? '' : html`<p class="notice" id="host-read-only">${READ_ONLY_REASON}</p>`}
  <form method="post" action="/host" id="host-settings">${csrfField(c)}<fieldset${isEditable ? '' : html` disabled`}>
  <h2>Host name</h2>${input('hostname', 'Host name (short or fully qualified)')}
  <h2>Network</h2>${input('network.interface', 'Interface (name or glob)')}
  <label>IPv4 ${select('network.ipv4.mode', v['network.ipv4.mode'], ['dhcp', 'static'])}${fieldError(e, 'network.ipv4.mode')}</label>
  ${input('network.ipv4.address', 'IPv4 address/prefix', '192.0.2.10/24')}${input('network.ipv4.gateway', 'IPv4 gateway')}
  <label>IPv6 ${select('network.ipv6.mode', v['network.ipv6.mode'], ['auto', 'static', 'off'])}${fieldError(e, 'network.ipv6.mode')}</label>
  ${input('network.ipv6.address', 'IPv6 address/prefix', '2001:db8::10/64')}${input('network.ipv6.gateway', 'IPv6 gateway')}
  ${input('network.dns', 'DNS servers (up to 3; empty: from DHCP)')}${input('network.searchDomains', 'Search domains')}
  <h2>Time sources (NTP)</h2>${input('ntp.servers', "NTP servers (empty: Debian's pool)")}
  <h2>Syslog forwarding</h2>${check('syslog.enabled', 'Forward the system log')}
  ${input('syslog.host', 'Host')}${input('syslog.port', 'Port')}
  <label>Protocol ${select('syslog.protocol', v['syslog.protocol'], ['udp', 'tcp'])}${fieldError(e, 'syslog.protocol')}</label>
  ${check('syslog.tls', 'TLS (TCP only; the server certificate must match the host and chain to the system CAs)')}
  ${isEditable ? html`<button class="primary">Save and apply</button>` : ''}</fieldset></form>
  ${op ? html`<h2>Last apply</h2>${opFragment(op, op.id)}` : ''}
  ${view.applied ? '' : html`<p class="muted">What is on disk now is not a configuration this form writes; see the System page for the host's own files.</p>`}</section>`,
    status,
  )
}
