import { AppError } from '../errors.ts'

/**
 * A numeric path id, tolerating a `.json` suffix (compatible paths). Anything else — including a
 * client's literal `{incident_id}` — is a clean 404, never a 500.
 */
export const idParam = (raw: string | undefined, what = 'incident'): number => {
  const s = decodeURIComponent(raw ?? '').replace(/\.json$/, '')
  if (!/^\d{1,15}$/.test(s)) throw new AppError('NOT_FOUND', `${what} not found`)
  return Number(s)
}

/**
 * A compatible date query value: a date alone (`2020-02-22`, midnight UTC) or ISO-8601 with any
 * fraction/offset. @throws AppError INVALID_REQUEST naming the parameter.
 */
export const dateParam = (raw: string | undefined, name: string): Date | undefined => {
  if (raw === undefined || raw.trim() === '') return undefined
  const s = raw.trim().replace(' ', '+')
  const d = /^\d{4}-\d{2}-\d{2}$/.test(s)
    ? new Date(`${s}T00:00:00Z`)
    : new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? s : `${s}Z`)
  if (Number.isNaN(d.getTime()))
    throw new AppError(
      'INVALID_REQUEST',
      `${name}: expected an ISO-8601 date such as 2020-02-22 or 2020-02-22T10:00:00Z`,
    )
  return d
}

export const boolParam = (raw: string | undefined, dflt: boolean) =>
  raw === undefined || raw === '' ? dflt : !/^(false|0|no)$/i.test(raw.trim())
