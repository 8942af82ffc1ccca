import { AppError } from '../errors.ts'
import { readDate } from '../storable.ts'

/**
 * A numeric path id, tolerating a `.json` suffix (compatible paths). Anything else — including a
 * client's literal `{incident_id}` — is a clean 404, never a 500.
 */
export const idParam = (raw: string | undefined, what = 'incident'): number => {
  let s: string
  try {
    s = decodeURIComponent(raw ?? '').replace(/\.json$/, '')
  } catch {
    s = '' // malformed percent-encoding: no such id
  }
  if (!/^\d{1,15}$/.test(s)) throw new AppError('NOT_FOUND', `${what} not found`)
  return Number(s)
}

/**
 * A compatible date query value: a date alone (`2020-02-22`, midnight UTC) or ISO-8601 with any
 * fraction/offset, within PostgreSQL's range (storable.ts readDate, the same rule as validate.ts date()).
 * @throws AppError INVALID_REQUEST naming the parameter.
 */
export const dateParam = (raw: string | undefined, name: string): Date | undefined => {
  if (raw === undefined || raw.trim() === '') return undefined
  const d = readDate(raw)
  if (typeof d === 'string') throw new AppError('INVALID_REQUEST', `${name}: ${d}`)
  return d
}

export const boolParam = (raw: string | undefined, dflt: boolean) =>
  raw === undefined || raw === '' ? dflt : !/^(false|0|no)$/i.test(raw.trim())
