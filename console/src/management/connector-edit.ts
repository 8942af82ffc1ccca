import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { manifestOf } from '../../../core/src/connectors/index.ts'
import { listConnectors } from '../../../core/src/domain/connectors/list-connectors.ts'
import { idParam } from '../forms.ts'
import { connectorFields } from './connector-form.ts'
import { consolePage, csrfField, errorBox } from './view.ts'

type Sticky = { name?: string; settings?: Record<string, unknown>; isEnabled?: boolean; isOnPremises?: boolean }

/** The form for a new connector of `kind` (id undefined) or an existing one; re-rendered with the values on 422. */
export const connectorFormPage = (
  c: Context<AppEnv>,
  kind: string,
  id: number | undefined,
  values: Sticky & { secretsSet?: string[] },
  error?: string,
  status = 200,
) => {
  const manifest = manifestOf(kind)
  const action = id ? `/connections/${id}` : `/connections/new?kind=${encodeURIComponent(kind)}`
  return consolePage(
    c,
    `${manifest.title} connector`,
    html`<section class="card"><h1>${id ? values.name : `New ${manifest.title} connector`}</h1>
  <p class="muted">${manifest.description}</p>${errorBox(error)}
  <form method="post" action="${action}">${csrfField(c)}
  <label>Name <input name="name" value="${values.name ?? ''}" required></label>
  ${connectorFields(manifest, values.settings ?? {}, values.secretsSet ?? [])}
  <label><input type="checkbox" name="isEnabled"${values.isEnabled === false ? '' : html` checked`}> Enabled</label>
  <label><input type="checkbox" name="isOnPremises"${values.isOnPremises ? html` checked` : ''}> On-premises: may reach private, loopback and link-local addresses (cloud metadata addresses stay refused)</label>
  <button class="primary">${id ? 'Save' : 'Create'}</button> <a href="/connections">Cancel</a></form>
  ${id ? html`<form method="post" action="/connections/${id}/delete">${csrfField(c)}<button class="danger">Delete connector</button></form>` : ''}</section>`,
    status,
  )
}

/** GET /connections/:id */
export const connectorEdit = async (c: Context<AppEnv>) => {
  const [k] = await listConnectors(c.var.deps.db, c.var.actor!, idParam(c))
  return connectorFormPage(c, k!.kind, k!.id, k!)
}
