import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { HOST_KINDS, type IncidentHost } from '../../../core/src/domain/incidents/add-incident-hosts.ts'
import { csrfField, type FormErrors, fieldError } from '../forms.ts'

const KIND_LABEL: Record<string, string> = { attacker: 'attacker', cnc: 'C&C', forensics: 'forensics', url: 'URL' }

/**
 * The incident's hosts by kind, with a remove button per host and the add form (htmx: the answer
 * is the incident page, of which #incident-hosts is swapped in; without JavaScript a plain POST).
 * Every host is untrusted text and goes through `html` escaping, attributes included.
 */
export const hostsSection = (
  c: Context<AppEnv>,
  incidentId: number,
  hosts: IncidentHost[],
  canWrite: boolean,
  errors: FormErrors = {},
) => {
  const kinds = [...new Set(hosts.map((h) => h.kind))]
  const hx = (action: string) =>
    html`method="post" action="/incidents/${incidentId}/hosts${action}" hx-post="/incidents/${incidentId}/hosts${action}" hx-target="#incident-hosts" hx-select="#incident-hosts" hx-swap="outerHTML"`
  return html`<div id="incident-hosts">${kinds.map(
    (k) =>
      html`<h3>${KIND_LABEL[k] ?? k} hosts</h3><ul class="plain mono">${hosts
        .filter((h) => h.kind === k)
        .map(
          (h) =>
            html`<li>${h.host}${
              canWrite
                ? html` <form ${hx('/remove')} class="inline">${csrfField(c)}<input type="hidden" name="kind" value="${h.kind}"><input type="hidden" name="host" value="${h.host}"><button class="link" aria-label="Remove ${KIND_LABEL[h.kind] ?? h.kind} host ${h.host}">remove</button></form>`
                : ''
            }</li>`,
        )}</ul>`,
  )}${hosts.length === 0 ? html`<p class="empty">No hosts recorded.</p>` : ''}${
    canWrite
      ? html`<form ${hx('')} class="row">${csrfField(c)}<select name="kind" aria-label="Kind of host">${HOST_KINDS.map((k) => html`<option value="${k}">${KIND_LABEL[k]}</option>`)}</select><input name="host" placeholder="host, IP or URL" aria-label="Host to add" required maxlength="2048"><button>Add host</button></form>${fieldError(errors, 'host')}${fieldError(errors, 'kind')}`
      : ''
  }</div>`
}
