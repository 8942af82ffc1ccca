import type { Condition } from './condition-model.ts'
import type { Facts } from './match-subject.ts'

/** List membership for `in_list`: list id → its current members, lower-cased. */
export type ListMembers = ReadonlyMap<number, ReadonlySet<string>>

/** A compiled condition, tested against a subject's facts (`factsOf`). */
export type Predicate = (f: Facts) => boolean

/**
 * Compiles a (validated) condition tree into a predicate once, so evaluating many alerts against
 * many conditions does no parsing, lower-casing of constants or regex building per alert. The one
 * evaluator behind live matching, re-evaluation and dry runs. Unknown shapes never match.
 */
export const compileCondition = (c: Condition, lists: ListMembers): Predicate => {
  if (!c || typeof c !== 'object') return () => false
  if ('all' in c) {
    const parts = c.all.map((x) => compileCondition(x, lists))
    return (f) => parts.every((p) => p(f))
  }
  if ('any' in c) {
    const parts = c.any.map((x) => compileCondition(x, lists))
    return (f) => parts.some((p) => p(f))
  }
  if ('not' in c) {
    const inner = compileCondition(c.not, lists)
    return (f) => !inner(f)
  }
  if (!('field' in c)) return Object.keys(c).length === 0 ? () => true : () => false
  const field = c.field
  const one = String(Array.isArray(c.value) ? '' : (c.value ?? '')).toLowerCase()
  switch (c.op) {
    case 'eq':
      return (f) => f(field).includes(one)
    case 'neq':
      return (f) => !f(field).includes(one)
    case 'contains':
      return (f) => f(field).some((v) => v.includes(one))
    case 'in': {
      const set = new Set((Array.isArray(c.value) ? c.value : []).map((v) => v.toLowerCase()))
      return (f) => f(field).some((v) => set.has(v))
    }
    case 'exists':
      return (f) => f(field).length > 0
    case 'gte': {
      const bound = Number(c.value)
      return (f) => f(field).some((v) => Number(v) >= bound)
    }
    case 'lte': {
      const bound = Number(c.value)
      return (f) => f(field).some((v) => Number(v) <= bound)
    }
    case 'in_list': {
      const members = lists.get(Number(c.value))
      return members ? (f) => f(field).some((v) => members.has(v)) : () => false
    }
  }
  return () => false
}

/** The field names a tree tests (so loading reads only what conditions look at). */
export const fieldsOf = (c: Condition, out = new Set<string>()): Set<string> => {
  if ('all' in c) for (const x of c.all) fieldsOf(x, out)
  else if ('any' in c) for (const x of c.any) fieldsOf(x, out)
  else if ('not' in c) fieldsOf(c.not, out)
  else if ('field' in c) out.add(c.field)
  return out
}

/** The list ids a tree refers to (so the caller loads exactly those members). */
export const listIdsOf = (c: Condition, out = new Set<number>()): Set<number> => {
  if ('all' in c) for (const x of c.all) listIdsOf(x, out)
  else if ('any' in c) for (const x of c.any) listIdsOf(x, out)
  else if ('not' in c) listIdsOf(c.not, out)
  else if ('field' in c && c.op === 'in_list') out.add(Number(c.value))
  return out
}
