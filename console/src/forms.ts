import type { Context } from 'hono'
import { html } from 'hono/html'
import { AppError } from '../../core/src/errors.ts'
import { findUnstorable } from '../../core/src/storable.ts'
import type { Html } from './views/layout.ts'

/** A parsed form: every field as a list of strings (repeated fields keep all their values). */
export type FormBody = Record<string, string[]>
export type FormErrors = Record<string, string>

/**
 * Reads a urlencoded or multipart form; file parts are dropped here (upload handlers read them
 * separately). @throws AppError INVALID_REQUEST naming a field PostgreSQL could not store (storable.ts).
 */
export const readForm = async (c: Context): Promise<FormBody> => {
  const body = await c.req.parseBody({ all: true })
  const out: FormBody = {}
  for (const [k, v] of Object.entries(body))
    out[k] = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string')
  const problem = findUnstorable(out, '')
  if (problem) throw new AppError('INVALID_REQUEST', `${problem.at.replace(/\[\d+\]$/, '')}: ${problem.message}`)
  return out
}

export const one = (f: FormBody, name: string) => (f[name]?.[0] ?? '').trim()
export const all = (f: FormBody, name: string) => f[name] ?? []
export const checked = (f: FormBody, name: string) =>
  (f[name] ?? []).some((v) => v === 'on' || v === 'true' || v === '1')

/**
 * Turns a domain AppError ("field: message") into form errors keyed by field, so the form can be
 * re-rendered with the message beside the field. Other errors are rethrown (403/404/500 pages).
 */
export const formErrors = (err: unknown): FormErrors => {
  if (err instanceof AppError && (err.code === 'INVALID_REQUEST' || err.code === 'CONFLICT')) {
    const m = /^([A-Za-z_]+): (.*)$/s.exec(err.message)
    return m ? { [m[1]!]: m[2]! } : { _: err.message }
  }
  throw err
}

/** The error beside a field (escaped like everything else). */
export const fieldError = (errors: FormErrors, name: string): Html | string =>
  errors[name] ? html`<span class="field-error" role="alert">${errors[name]}</span>` : ''

/** A form-level error box for errors not tied to one field. */
export const formError = (errors: FormErrors): Html | string =>
  errors._ ? html`<p class="error" role="alert">${errors._}</p>` : ''

/** The CSRF field every state-changing form carries (htmx requests also send the header). */
export const csrfField = (c: Context) =>
  html`<input type="hidden" name="_csrf" value="${(c.var as { session?: { csrfToken: string } }).session?.csrfToken ?? ''}">`

/** Parses a positive integer id from a route parameter; anything else reads as "not found". */
export const idParam = (c: Context, name = 'id') => {
  const v = c.req.param(name) ?? ''
  if (!/^[1-9]\d{0,15}$/.test(v)) throw new AppError('NOT_FOUND', 'not found')
  return Number(v)
}

/** Short local rendering of a timestamp (UTC, minutes), e.g. 2026-03-10 12:04. */
export const when = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '')

/** Seconds as a readable duration: 45s, 12m, 3h 5m, 2d 4h. */
export const duration = (s: number | null) => {
  if (s === null || !Number.isFinite(s)) return '—'
  if (s < 60) return `${Math.round(s)}s`
  if (s < 3600) return `${Math.round(s / 60)}m`
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.round((s % 3600) / 60)}m`
  return `${Math.floor(s / 86400)}d ${Math.round((s % 86400) / 3600)}h`
}
