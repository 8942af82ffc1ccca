import type { Context } from 'hono'
import { html, raw } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listFields } from '../../../core/src/domain/fields/list-fields.ts'
import { listAssignees } from '../../../core/src/domain/incidents/list-assignees.ts'
import { type IncidentSort, listIncidents } from '../../../core/src/domain/incidents/list-incidents.ts'
import { listInvestigations } from '../../../core/src/domain/investigations/list-investigations.ts'
import { listSources } from '../../../core/src/domain/sources/list-sources.ts'
import { listTeams } from '../../../core/src/domain/teams/list-teams.ts'
import { csrfField } from '../forms.ts'
import { hasFilters, type ListQuery, listUrl, parseListQuery, TABS, toFilter } from '../incident-query.ts'
import { SEVERITIES, severityBadge, stateBadge } from '../views/incident-bits.ts'
import { page } from '../views/layout.ts'

const TAB_LABEL: Record<string, string> = {
  new: 'New',
  open: 'Open',
  assigned: 'Assigned',
  closed: 'Closed',
  ignored: 'Ignored',
  all: 'All',
}

/**
 * The state tabs with counts. Counting every visible incident is the slow part on a large table,
 * so the page is sent without counts (placeholders) and htmx fetches them at once and then every
 * 20 s (live refresh without a reload).
 */
export const incidentTabs = (q: ListQuery, counts?: Record<string, number>) => {
  const total = counts ? Object.values(counts).reduce((a, b) => a + b, 0) : undefined
  const n = (t: string) => (counts ? (t === 'all' ? total : (counts[t] ?? 0)) : '…')
  return html`<nav class="tabs" id="incident-tabs" aria-label="Incident states" hx-get="${listUrl(q, {}, '/incidents/counts')}" hx-trigger="${counts ? 'every 20s' : 'load, every 20s'}" hx-swap="outerHTML">${TABS.map(
    (t) =>
      html`<a href="${listUrl(q, { tab: t })}"${t === q.tab ? html` aria-current="page"` : ''}>${TAB_LABEL[t]} <span class="count" data-state="${t}">${n(t)}</span></a>`,
  )}</nav>`
}

const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '')

/**
 * A sortable column header: a link to the same view sorted by this column (descending first,
 * then toggling), with an arrow and aria-sort on the active one.
 */
const sortable = (q: ListQuery, key: IncidentSort, label: string) => {
  const active = q.sort.replace(/^-/, '') === key
  const isDesc = q.sort.startsWith('-')
  const next = active && isDesc ? key : `-${key}`
  return html`<th${active ? raw(` aria-sort="${isDesc ? 'descending' : 'ascending'}"`) : ''}><a href="${listUrl(q, { sort: next as ListQuery['sort'] })}" title="Sort by ${label.toLowerCase()}">${label}${active ? (isDesc ? ' ▼' : ' ▲') : ''}</a></th>`
}

/** GET /incidents: tabs with counts, filters (all in the URL), sortable by creation, keyset pages, bulk actions. */
export const incidentList = async (c: Context<AppEnv>) => {
  const q = parseListQuery(
    (k) => c.req.query(k),
    (k) => c.req.queries(k) ?? [],
  )
  const actor = c.var.actor!
  const { db } = c.var.deps
  const [result, teams, assignees, fields, sources, openInvestigations] = await Promise.all([
    listIncidents(db, actor, { ...toFilter(q), withCounts: false }),
    listTeams(db, actor),
    listAssignees(db, actor),
    listFields(db, actor),
    actor.permissions.has('sources.read') ? listSources(db, actor) : Promise.resolve([]),
    actor.permissions.has('investigations.write')
      ? listInvestigations(db, actor, { state: 'open', limit: 200 }).then((r) => r.items)
      : Promise.resolve([]),
  ])
  const options = (name: string) => fields.find((f) => f.name === name)?.options ?? []
  const sel = (name: string, current: string, items: { value: string; label: string }[], any = 'Any') =>
    html`<select name="${name}"><option value="">${any}</option>${items.map((i) => html`<option value="${i.value}"${i.value === current ? html` selected` : ''}>${i.label}</option>`)}</select>`
  const canWrite = actor.permissions.has('incidents.write')
  const self = listUrl(q, { cursor: q.cursor })
  return page(
    c,
    'Incidents',
    html`<div class="toolbar"><h1>Incidents</h1>
  <form method="get" action="/incidents" role="search" class="search">
    <input type="hidden" name="tab" value="${q.tab}">
    <input type="search" name="q" value="${q.q}" placeholder="Search subject, sender, recipient, message-id, host, user…" aria-label="Search incidents" data-hotkey="/">
  </form></div>
${incidentTabs(q)}
<details class="card filters-panel"${hasFilters(q) ? html` open` : ''}><summary>Filters${hasFilters(q) ? html` <span class="badge warn">active</span>` : ''}</summary>
  <form method="get" action="/incidents" class="filters">
    <input type="hidden" name="tab" value="${q.tab}"><input type="hidden" name="q" value="${q.q}">
    <label>Created from <input type="date" name="created_from" value="${q.createdFrom}"></label>
    <label>Created to <input type="date" name="created_to" value="${q.createdTo}"></label>
    ${
      q.tab === 'closed'
        ? html`<label>Closed from <input type="date" name="closed_from" value="${q.closedFrom}"></label>
    <label>Closed to <input type="date" name="closed_to" value="${q.closedTo}"></label>`
        : ''
    }
    <fieldset class="inline-checks"><legend>Severity</legend>${SEVERITIES.map(
      (s) =>
        html`<label class="check"><input type="checkbox" name="severity" value="${s}"${q.severity.includes(s) ? html` checked` : ''}> ${s}</label>`,
    )}</fieldset>
    <label>Source ${sel(
      'source',
      q.source,
      sources.map((s) => ({ value: String(s.id), label: s.name })),
    )}</label>
    <label>Team ${sel(
      'team',
      q.team,
      teams.map((t) => ({ value: String(t.id), label: t.name })),
    )}</label>
    <label>Assignee ${sel('assignee', q.assignee, [{ value: 'none', label: 'Unassigned' }, ...assignees.map((u) => ({ value: String(u.id), label: u.username }))])}</label>
    <label>Disposition ${sel(
      'disposition',
      q.disposition,
      options('Abuse Disposition').map((o) => ({ value: o, label: o })),
    )}</label>
    <label>Classification ${sel(
      'classification',
      q.classification,
      options('Classification').map((o) => ({ value: o, label: o })),
    )}</label>
    <input type="hidden" name="sort" value="${q.sort}">
    <div class="actions"><button class="primary">Apply</button> <a href="${listUrl({ ...q, severity: [], source: '', team: '', assignee: '', disposition: '', classification: '', createdFrom: '', createdTo: '', closedFrom: '', closedTo: '' })}">Clear</a></div>
  </form>
</details>
<section class="card flush">
  ${
    canWrite
      ? html`<form method="post" action="/incidents/bulk" id="bulk" class="bulk">
    ${csrfField(c)}<input type="hidden" name="return" value="${self}">
    <span class="muted">Selected:</span>
    <input name="summary" placeholder="Close summary" aria-label="Close summary" maxlength="500">
    <button name="action" value="close">Close</button>
    <select name="team" aria-label="Team"><option value="">Team…</option>${teams.map((t) => html`<option>${t.name}</option>`)}</select>
    <select name="assignee" aria-label="Assignee"><option value="">Assignee…</option>${assignees.map((u) => html`<option>${u.username}</option>`)}</select>
    <button name="action" value="assign">Assign</button>
    ${
      openInvestigations.length
        ? html`<select name="investigation" aria-label="Investigation"><option value="">Investigation…</option>${openInvestigations.map((i) => html`<option value="${i.id}">#${i.id} ${i.name}</option>`)}</select>
    <button name="action" value="link">Link</button>`
        : ''
    }
  </form>`
      : ''
  }
  <table class="dense incidents">
    <thead><tr>${canWrite ? html`<th><input type="checkbox" aria-label="Select all" data-select-all="ids"></th>` : ''}
      ${sortable(q, 'id', 'ID')}<th>Summary</th><th>State</th>${sortable(q, 'severity', 'Severity')}<th>Disposition</th><th>Classification</th><th>Source</th><th>Team</th><th>Assignee</th><th class="right">Alerts</th>
      ${sortable(q, 'created', 'Created')}
      ${q.tab === 'closed' || q.tab === 'all' ? sortable(q, 'closed', 'Closed') : ''}</tr></thead>
    <tbody>${result.items.map(
      (i) => html`<tr>
      ${canWrite ? html`<td><input type="checkbox" name="ids" value="${i.id}" form="bulk" aria-label="Select incident ${i.id}"></td>` : ''}
      <td class="mono"><a href="/incidents/${i.id}">${i.id}</a></td>
      <td class="summary"><a href="/incidents/${i.id}">${i.summary || '(no summary)'}</a>${i.isPrivate ? html` <span class="badge warn">private</span>` : ''}</td>
      <td>${stateBadge(i.state)}</td><td>${severityBadge(i.severity)}</td>
      <td>${i.abuseDisposition ?? ''}</td><td>${i.classification ?? ''}</td><td>${i.source ?? ''}</td>
      <td>${i.team ?? ''}</td><td>${i.assignee ?? html`<span class="muted">—</span>`}</td>
      <td class="right">${i.alertCount}</td><td class="nowrap muted">${day(i.createdAt)}</td>
      ${q.tab === 'closed' || q.tab === 'all' ? html`<td class="nowrap muted">${day(i.closedAt)}</td>` : ''}
    </tr>`,
    )}</tbody>
  </table>
  ${result.items.length === 0 ? html`<p class="empty pad">No incidents match.</p>` : ''}
  <p class="pager pad">${q.cursor ? html`<a href="${listUrl(q)}" data-hotkey="k">« First page</a>` : ''}
    ${result.nextCursor ? html`<a href="${listUrl(q, { cursor: result.nextCursor })}" rel="next" data-hotkey="j">Next page »</a>` : ''}</p>
</section>`,
  )
}
