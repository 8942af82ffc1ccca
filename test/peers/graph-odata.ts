/**
 * The OData query subset the Graph peer understands ($filter with eq/ge/le/gt/lt joined by `and`,
 * $select, $top, $skiptoken paging). Anything else is a 400, as Graph answers an unsupported
 * query, so the client cannot lean on something the peer does not model.
 */
export type Row = Record<string, unknown>
export class ODataError extends Error {}

type Clause = { path: string[]; op: 'eq' | 'ge' | 'le' | 'gt' | 'lt'; value: string; isString: boolean }

/** Splits `a eq 'x' and b ge 2024-01-01T00:00:00Z` into clauses (quotes may contain ` and `, `''` escapes). */
export const parseFilter = (filter: string): Clause[] => {
  const clauses: Clause[] = []
  let rest = filter.trim()
  while (rest.length) {
    const m = /^([A-Za-z/]+)\s+(eq|ge|le|gt|lt)\s+/.exec(rest)
    if (!m) throw new ODataError(`Invalid filter clause: ${rest.slice(0, 40)}`)
    rest = rest.slice(m[0].length)
    let value: string
    let isString = false
    if (rest.startsWith("'")) {
      let i = 1
      value = ''
      for (;;) {
        if (i >= rest.length) throw new ODataError('Unterminated string literal')
        if (rest[i] === "'" && rest[i + 1] === "'") [value, i] = [`${value}'`, i + 2]
        else if (rest[i] === "'") break
        else [value, i] = [value + rest[i], i + 1]
      }
      rest = rest.slice(i + 1)
      isString = true
    } else {
      const v = /^[^\s]+/.exec(rest)![0]
      if (Number.isNaN(Date.parse(v))) throw new ODataError(`Unsupported literal ${v}`)
      value = v
      rest = rest.slice(v.length)
    }
    clauses.push({ path: m[1]!.split('/'), op: m[2] as Clause['op'], value, isString })
    rest = rest.trim()
    if (rest.length) {
      const and = /^and\s+/i.exec(rest)
      if (!and) throw new ODataError('Only "and" is supported between clauses')
      rest = rest.slice(and[0].length)
    }
  }
  return clauses
}

const get = (row: Row, path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Row)[k] : undefined), row)

/** Does the row satisfy every clause? Strings compare case-insensitively (Exchange does), dates as instants. */
export const matches = (row: Row, clauses: Clause[], allowed: Set<string>) =>
  clauses.every((c) => {
    if (!allowed.has(c.path.join('/'))) throw new ODataError(`Filtering on ${c.path.join('/')} is not supported`)
    const v = get(row, c.path)
    if (c.isString) {
      if (c.op !== 'eq') throw new ODataError('Only eq for strings')
      return typeof v === 'string' && v.toLowerCase() === c.value.toLowerCase()
    }
    const a = Date.parse(String(v))
    const b = Date.parse(c.value)
    if (Number.isNaN(a)) return false
    return { eq: a === b, ge: a >= b, le: a <= b, gt: a > b, lt: a < b, ne: a !== b }[c.op]
  })

export const select = (row: Row, sel: string | null): Row => {
  if (!sel) return row
  const out: Row = {}
  for (const k of ['id', ...sel.split(',')]) if (k in row) out[k] = row[k]
  return out
}

/**
 * One page of `rows`: `$top` (default `defaultTop`, at most `maxTop`), continuing at `$skiptoken`;
 * `@odata.nextLink` is absolute and carries the version, as Graph's does.
 */
export const page = (rows: Row[], q: URLSearchParams, selfUrl: string, defaultTop: number, maxTop: number) => {
  const top = Math.min(Number(q.get('$top') ?? defaultTop) || defaultTop, maxTop)
  const skip = Number(q.get('$skiptoken') ?? 0)
  const body: Row = { value: rows.slice(skip, skip + top).map((r) => select(r, q.get('$select'))) }
  if (q.get('$count') === 'true') body['@odata.count'] = rows.length
  if (skip + top < rows.length) {
    const next = new URL(selfUrl)
    next.searchParams.set('$skiptoken', String(skip + top))
    body['@odata.nextLink'] = next.href
  }
  return body
}
