import { html } from 'hono/html'
import { z } from 'zod'
import type { Manifest } from '../../../core/src/connectors/types.ts'
import { checked, type FormBody, one } from '../forms.ts'
import type { Html } from '../views/layout.ts'

type Prop = { type?: string; enum?: string[]; default?: unknown; format?: string; minimum?: number; maximum?: number }

/** The settings properties of a kind, from the same zod schema the domain validates with. */
const propsOf = (manifest: Manifest) =>
  Object.entries(
    (z.toJSONSchema(manifest.settings, { io: 'input' }) as { properties?: Record<string, Prop> }).properties ?? {},
  )

const label = (name: string) => name.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase())

/** Form fields for a kind's settings and secrets (secret inputs are always empty: write-only). */
export const connectorFields = (
  manifest: Manifest,
  values: Record<string, unknown>,
  secretsSet: string[],
): Html => html`${propsOf(manifest).map(([name, p]) => {
  const given = values[name] ?? p.default ?? ''
  // lists (msgraph's accepted domains) are edited as one comma-separated field
  const v = Array.isArray(given) ? given.join(', ') : given
  const field = `s.${name}`
  if (p.enum)
    return html`<label>${label(name)} <select name="${field}">${p.enum.map((o) => html`<option${o === v ? html` selected` : ''}>${o}</option>`)}</select></label>`
  if (p.type === 'boolean')
    return html`<label><input type="checkbox" name="${field}"${v === true ? html` checked` : ''}> ${label(name)}</label>`
  const type =
    p.type === 'integer' || p.type === 'number'
      ? 'number'
      : p.format === 'email'
        ? 'email'
        : p.format === 'uri'
          ? 'url'
          : 'text'
  return html`<label>${label(name)} <input name="${field}" type="${type}" value="${String(v)}"></label>`
})}
${manifest.secrets.map(
  (s) =>
    html`<label>${s.label}${secretsSet.includes(s.name) ? ' (stored; leave empty to keep)' : s.isRequired ? ' (required)' : ''} <input name="secret.${s.name}" type="password" autocomplete="off"></label>`,
)}`

/** Reads the settings and secrets back from a posted form, typed per property; the domain validates. */
export const connectorInputFrom = (manifest: Manifest, form: FormBody) => {
  const settings: Record<string, unknown> = {}
  for (const [name, p] of propsOf(manifest)) {
    const raw = one(form, `s.${name}`)
    if (p.type === 'boolean') settings[name] = checked(form, `s.${name}`)
    else if (raw === '') continue
    else if (p.type === 'array') settings[name] = raw.split(/[\s,]+/).filter(Boolean)
    else settings[name] = p.type === 'integer' || p.type === 'number' ? Number(raw) : raw
  }
  const secrets = Object.fromEntries(manifest.secrets.map((s) => [s.name, one(form, `secret.${s.name}`)]))
  return { settings, secrets }
}
