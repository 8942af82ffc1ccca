import {
  INCIDENT_SORTS,
  type IncidentFilter,
  type IncidentSort,
} from '../../core/src/domain/incidents/list-incidents.ts'

/** The incident list's tabs, in order; `all` shows every state. */
export const TABS = ['new', 'open', 'assigned', 'closed', 'ignored', 'all'] as const
export type Tab = (typeof TABS)[number]

/** Everything the list URL can carry; the URL is the state (bookmarkable, shareable). */
export type ListQuery = {
  tab: Tab
  q: string
  severity: string[]
  source: string
  team: string
  assignee: string
  disposition: string
  classification: string
  createdFrom: string
  createdTo: string
  closedFrom: string
  closedTo: string
  /** a sort column, `-` first for descending (the default `-created`: newest first) */
  sort: `${'' | '-'}${IncidentSort}`
  cursor: string
}

const DATE = /^\d{4}-\d{2}-\d{2}$/
const ID = /^\d{1,15}$/
const day = (s: string, plus = 0) =>
  DATE.test(s) ? new Date(new Date(`${s}T00:00:00Z`).getTime() + plus * 86_400_000) : undefined

/** Reads the list query from URL parameters; anything malformed is dropped, never an error. */
export const parseListQuery = (get: (k: string) => string | undefined, getAll: (k: string) => string[]): ListQuery => {
  const tab = (TABS as readonly string[]).includes(get('tab') ?? '') ? (get('tab') as Tab) : 'new'
  const clip = (k: string, n = 200) => (get(k) ?? '').trim().slice(0, n)
  return {
    tab,
    q: clip('q'),
    severity: getAll('severity')
      .filter((s) => s.length < 40)
      .slice(0, 10),
    source: ID.test(get('source') ?? '') ? get('source')! : '',
    team: ID.test(get('team') ?? '') ? get('team')! : '',
    assignee: get('assignee') === 'none' || ID.test(get('assignee') ?? '') ? get('assignee')! : '',
    disposition: clip('disposition', 100),
    classification: clip('classification', 100),
    createdFrom: DATE.test(get('created_from') ?? '') ? get('created_from')! : '',
    createdTo: DATE.test(get('created_to') ?? '') ? get('created_to')! : '',
    closedFrom: DATE.test(get('closed_from') ?? '') ? get('closed_from')! : '',
    closedTo: DATE.test(get('closed_to') ?? '') ? get('closed_to')! : '',
    sort: INCIDENT_SORTS.includes((get('sort') ?? '').replace(/^-/, '') as IncidentSort)
      ? (get('sort') as ListQuery['sort'])
      : '-created',
    cursor: /^[A-Za-z0-9_-]{1,200}$/.test(get('cursor') ?? '') ? get('cursor')! : '',
  }
}

/** The domain filter for a list query. The closed date range applies on the Closed tab only. */
export const toFilter = (q: ListQuery, limit = 50): IncidentFilter => ({
  states: q.tab === 'all' ? undefined : [q.tab],
  q: q.q || undefined,
  severities: q.severity.length ? q.severity : undefined,
  sourceId: q.source ? Number(q.source) : undefined,
  teamId: q.team ? Number(q.team) : undefined,
  assigneeId: q.assignee === 'none' ? 'none' : q.assignee ? Number(q.assignee) : undefined,
  abuseDisposition: q.disposition || undefined,
  classification: q.classification || undefined,
  createdFrom: day(q.createdFrom),
  createdTo: day(q.createdTo, 1),
  closedFrom: q.tab === 'closed' ? day(q.closedFrom) : undefined,
  closedTo: q.tab === 'closed' ? day(q.closedTo, 1) : undefined,
  sort: q.sort.replace(/^-/, '') as IncidentSort,
  order: q.sort.startsWith('-') ? 'desc' : 'asc',
  cursor: q.cursor || undefined,
  limit,
})

/** The URL for a list query with some parts changed (a new tab or filter drops the cursor). */
export const listUrl = (q: ListQuery, change: Partial<ListQuery> = {}, path = '/incidents') => {
  const v = { ...q, cursor: '', ...change }
  const p = new URLSearchParams()
  if (v.tab !== 'new') p.set('tab', v.tab)
  if (v.q) p.set('q', v.q)
  for (const s of v.severity) p.append('severity', s)
  const pairs: [string, string][] = [
    ['source', v.source],
    ['team', v.team],
    ['assignee', v.assignee],
    ['disposition', v.disposition],
    ['classification', v.classification],
    ['created_from', v.createdFrom],
    ['created_to', v.createdTo],
    ['closed_from', v.tab === 'closed' ? v.closedFrom : ''],
    ['closed_to', v.tab === 'closed' ? v.closedTo : ''],
    ['sort', v.sort === '-created' ? '' : v.sort],
    ['cursor', v.cursor],
  ]
  for (const [k, x] of pairs) if (x) p.set(k, x)
  const s = p.toString()
  return s ? `${path}?${s}` : path
}

/** True when any filter beyond the tab and search box is set (the filter panel opens). */
export const hasFilters = (q: ListQuery) =>
  Boolean(
    q.severity.length ||
      q.source ||
      q.team ||
      q.assignee ||
      q.disposition ||
      q.classification ||
      q.createdFrom ||
      q.createdTo ||
      q.closedFrom ||
      q.closedTo,
  )
