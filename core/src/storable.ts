/**
 * What PostgreSQL can store and compare, checked once at the edge (api/validate.ts for every route,
 * the JSON alert and CSV readers for intake) so that input it would refuse is a 400 naming the
 * field, never a failed statement and a 500. Pure: no I/O, no dependencies.
 */

/** Nesting limit of any JSON document we accept (also inside JSON-encoded strings). */
export const MAX_DEPTH = 32

/** Largest id a request may name: inside bigint and exact as a JS number. */
export const MAX_ID = Number.MAX_SAFE_INTEGER

/** Dates we accept: PostgreSQL's range cut to four-digit years (what ISO-8601 and toISOString write plainly). */
export const MIN_DATE = Date.parse('0001-01-01T00:00:00Z')
export const MAX_DATE = Date.parse('9999-12-31T23:59:59.999Z')
export const DATE_RANGE = 'between 0001-01-01 and 9999-12-31'

/**
 * Why `s` cannot be stored as PostgreSQL text or jsonb, or undefined: U+0000 (text and jsonb cannot
 * hold it) and unpaired UTF-16 surrogates (not Unicode: jsonb refuses `\ud800`, text would get U+FFFD).
 */
export const textProblem = (s: string): string | undefined => {
  if (s.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored'
  if (!s.isWellFormed()) return 'contains an unpaired UTF-16 surrogate (such as \\ud800), which is not valid text'
  return undefined
}

/**
 * The first string or key in a parsed JSON value that cannot be stored, or nesting deeper than
 * `maxDepth`, or a `__proto__` key, as `{ at, message }` (`at` is the dotted path from `root`,
 * array members `[i]`).
 * Iterative: no recursion on hostile input.
 */
export const findUnstorable = (
  value: unknown,
  root: string,
  maxDepth = MAX_DEPTH,
): { at: string; message: string } | undefined =>
  isStorable(value, maxDepth) ? undefined : locateUnstorable(value, root, maxDepth)

/**
 * The same walk without building a path per member: nearly every document is storable, and the
 * paths (a string per member) were most of the check's cost on the intake path (issue 16).
 */
const isStorable = (value: unknown, maxDepth: number): boolean => {
  const values: unknown[] = [value]
  const depths: number[] = [1]
  while (values.length) {
    const v = values.pop()
    const d = depths.pop()!
    if (typeof v === 'string') {
      if (v.includes('\u0000') || !v.isWellFormed()) return false
      continue
    }
    if (v === null || typeof v !== 'object') continue
    if (d > maxDepth) return false
    if (Array.isArray(v)) {
      for (const child of v)
        if (typeof child === 'string' || (child !== null && typeof child === 'object')) {
          values.push(child)
          depths.push(d + 1)
        }
      continue
    }
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue
      if (k === '__proto__' || k.includes('\u0000') || !k.isWellFormed()) return false
      const child = (v as Record<string, unknown>)[k]
      if (typeof child === 'string' || (child !== null && typeof child === 'object')) {
        values.push(child)
        depths.push(d + 1)
      }
    }
  }
  return true
}

const locateUnstorable = (
  value: unknown,
  root: string,
  maxDepth: number,
): { at: string; message: string } | undefined => {
  const stack: [unknown, number, string][] = [[value, 1, root]]
  while (stack.length) {
    const [v, d, at] = stack.pop()!
    if (typeof v === 'string') {
      const problem = textProblem(v)
      if (problem) return { at, message: problem }
      continue
    }
    if (v === null || typeof v !== 'object') continue
    if (d > maxDepth) return { at: root, message: `nested deeper than ${maxDepth} levels` }
    const isArray = Array.isArray(v)
    for (const [k, child] of Object.entries(v as object)) {
      const path = at === '' ? k : isArray ? `${at}[${k}]` : `${at}.${k}`
      const keyProblem = textProblem(k)
      if (keyProblem) return { at: at || root, message: `has a key that ${keyProblem}` }
      // JSON.parse keeps an own "__proto__" key that object copies (zod included) then drop silently.
      if (k === '__proto__') return { at: path, message: fieldNameProblem(k)! }
      if (typeof child === 'string' || (child !== null && typeof child === 'object')) stack.push([child, d + 1, path])
    }
  }
  return undefined
}

/** Why `d` cannot be stored as timestamptz (invalid or outside DATE_RANGE), or undefined. */
export const dateProblem = (d: Date): string | undefined => {
  const t = d.getTime()
  if (Number.isNaN(t)) return 'expected an ISO-8601 date such as 2020-02-22 or 2020-02-22T10:00:00Z'
  if (t < MIN_DATE || t > MAX_DATE) return `expected a date ${DATE_RANGE}`
  return undefined
}

/**
 * Reads a date as clients send it: a date alone (`2020-02-22`, midnight UTC) or ISO-8601 with any
 * fraction and offset (a missing offset is UTC; a `+` decoded to a space is restored). Years must
 * have four digits. Returns the Date or the problem.
 */
export const readDate = (raw: string): Date | string => {
  const s = raw.trim().replace(' ', '+')
  if (!/^\d{4}-\d{2}-\d{2}([Tt]|$)/.test(s)) return dateProblem(new Date(Number.NaN))!
  const d = /^\d{4}-\d{2}-\d{2}$/.test(s)
    ? new Date(`${s}T00:00:00Z`)
    : new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? s : `${s}Z`)
  return dateProblem(d) ?? d
}

/**
 * Whether `s` is a timestamp as PostgreSQL writes `timestamptz::text` (or ISO-8601 with a `T`)
 * naming a real instant within DATE_RANGE: what a paging cursor may carry back. Components are
 * checked, not just the shape, so `2020-02-30` or `25:00` never reach a cast.
 */
export const isPgTimestamp = (s: string): boolean => {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)?$/.exec(s)
  if (!m) return false
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const t = new Date(Date.UTC(2000, mo - 1, d, h, mi, se))
  t.setUTCFullYear(y)
  return (
    y >= 1 &&
    t.getUTCMonth() === mo - 1 &&
    t.getUTCDate() === d &&
    t.getUTCHours() === h &&
    t.getUTCMinutes() === mi &&
    t.getUTCSeconds() === se
  )
}

const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Why a custom field name cannot be used, or undefined: `__proto__`, `constructor` and `prototype`
 * would set or shadow an object's prototype wherever the name becomes a key (silently dropped).
 */
export const fieldNameProblem = (name: string): string | undefined =>
  RESERVED_NAMES.has(name.trim()) ? `"${name.trim()}" is a reserved name; choose another` : undefined
