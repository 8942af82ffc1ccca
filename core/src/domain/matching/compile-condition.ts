import type { Condition } from './condition-model.ts'
import { type MatchSubject, readerOf } from './match-subject.ts'

/** List membership for `in_list`: list id → its current members, lower-cased. */
export type ListMembers = ReadonlyMap<number, ReadonlySet<string>>

export type Predicate = (s: MatchSubject) => boolean

/**
 * Compiles a (validated) condition tree into a predicate once, so evaluating many alerts against
 * many conditions does no parsing, lower-casing of constants or regex building per alert. The one
 * evaluator behind live matching, re-evaluation and dry runs. Unknown shapes never match.
 */
export const compileCondition = (c: Condition, lists: ListMembers): Predicate => {
  if (!c || typeof c !== 'object') return () => false
  if ('all' in c) {
    const parts = c.all.map((x) => compileCondition(x, lists))
    return (s) => parts.every((p) => p(s))
  }
  if ('any' in c) {
    const parts = c.any.map((x) => compileCondition(x, lists))
    return (s) => parts.some((p) => p(s))
  }
  if ('not' in c) {
    const inner = compileCondition(c.not, lists)
    return (s) => !inner(s)
  }
  if (!('field' in c)) return Object.keys(c).length === 0 ? () => true : () => false
  const read = readerOf(c.field)
  const one = String(Array.isArray(c.value) ? '' : (c.value ?? '')).toLowerCase()
  switch (c.op) {
    case 'eq':
      return (s) => read(s).includes(one)
    case 'neq':
      return (s) => !read(s).includes(one)
    case 'contains':
      return (s) => read(s).some((v) => v.includes(one))
    case 'in': {
      const set = new Set((Array.isArray(c.value) ? c.value : []).map((v) => v.toLowerCase()))
      return (s) => read(s).some((v) => set.has(v))
    }
    case 'exists':
      return (s) => read(s).length > 0
    case 'gte':
      return (s) => read(s).some((v) => Number(v) >= Number(c.value))
    case 'lte':
      return (s) => read(s).some((v) => Number(v) <= Number(c.value))
    case 'in_list': {
      const members = lists.get(Number(c.value))
      return members ? (s) => read(s).some((v) => members.has(v)) : () => false
    }
  }
  return () => false
}

/** The list ids a tree refers to (so the caller loads exactly those members). */
export const listIdsOf = (c: Condition, out = new Set<number>()): Set<number> => {
  if ('all' in c) for (const x of c.all) listIdsOf(x, out)
  else if ('any' in c) for (const x of c.any) listIdsOf(x, out)
  else if ('not' in c) listIdsOf(c.not, out)
  else if ('field' in c && c.op === 'in_list') out.add(Number(c.value))
  return out
}
