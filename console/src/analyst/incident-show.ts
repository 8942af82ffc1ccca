import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { listIncidentReporters } from '../../../core/src/domain/abuse/list-incident-reporters.ts'
import { listAnalyses } from '../../../core/src/domain/analysis/list-analyses.ts'
import { getIncidentDetail, type IncidentDetail } from '../../../core/src/domain/incidents/get-incident-detail.ts'
import { listAssignees } from '../../../core/src/domain/incidents/list-assignees.ts'
import { listResponseRuns } from '../../../core/src/domain/responses/list-response-runs.ts'
import { listTeams } from '../../../core/src/domain/teams/list-teams.ts'
import { csrfField, type FormErrors, fieldError, formError, idParam, when } from '../forms.ts'
import { alertSection } from '../views/incident-alerts.ts'
import { analysisSection } from '../views/incident-analysis.ts'
import { severityBadge, stateBadge } from '../views/incident-bits.ts'
import { hostsSection } from '../views/incident-hosts.ts'
import { reportersSection } from '../views/incident-reporters.ts'
import { responsesSection } from '../views/incident-responses.ts'
import { page } from '../views/layout.ts'

const RECIPIENT_TYPES: Record<string, string> = {
  original: 'Original Recipient',
  dl: 'Distribution List',
  forward: 'Forwarded',
  search: 'Search',
}

const HISTORY_LABEL: Record<string, string> = {
  comment: 'commented',
  state_change: 'changed state',
  field_change: 'changed a field',
  disposition_change: 'changed disposition',
  assignment: 'assigned',
  users_added: 'added users',
  response: 'response',
  hosts_added: 'added hosts',
  hosts_removed: 'removed hosts',
}

const timeline = (d: IncidentDetail) =>
  html`<ol class="timeline">${d.history.map(
    (
      h,
    ) => html`<li class="tl-${h.historyType}"><span class="muted nowrap">${when(h.createdAt)}</span> <b>${h.actorLabel}</b> ${HISTORY_LABEL[h.historyType] ?? h.historyType}
    ${h.field && h.historyType !== 'state_change' ? html`<span class="mono">${h.field}</span>` : ''}
    ${h.stateFrom !== null || h.stateTo !== null ? html`<span class="change"><s>${h.stateFrom ?? '—'}</s> → ${h.stateTo ?? '—'}</span>` : ''}
    ${h.summary ? html`<div class="text">${h.summary}</div>` : ''}${h.detail ? html`<div class="text muted">${h.detail}</div>` : ''}</li>`,
  )}</ol>${d.history.length === 0 ? html`<p class="empty">Nothing yet.</p>` : ''}`

/** The incident page; shared by the GET and by every form on it when it must show errors (422). */
export const incidentPage = async (c: Context<AppEnv>, id: number, errors: FormErrors = {}, status = 200) => {
  const actor = c.var.actor!
  const { db } = c.var.deps
  const d = await getIncidentDetail(db, actor, id)
  const runs = await listResponseRuns(db, actor, id)
  const verdicts = await listAnalyses(db, actor, id)
  const reporters = actor.permissions.has('alerts.read') ? await listIncidentReporters(db, actor, id) : []
  const canWrite = actor.permissions.has('incidents.write')
  const [teams, assignees] = canWrite ? await Promise.all([listTeams(db, actor), listAssignees(db, actor)]) : [[], []]
  const isOpen = d.state !== 'closed' && d.state !== 'ignored'
  const comments = d.history.filter((h) => h.historyType === 'comment').reverse()
  const userKinds = [...new Set(d.users.map((u) => u.kind))]
  return page(
    c,
    `#${d.id} ${d.summary}`,
    html`<p class="crumbs"><a href="/incidents">Incidents</a> › #${d.id}</p>
<div class="incident-head">
  <h1><span class="mono muted">#${d.id}</span> ${d.summary || '(no summary)'}</h1>
  <div class="badges">${stateBadge(d.state)} ${severityBadge(d.severity)}${d.isPrivate ? html` <span class="badge warn">private · ${d.team ?? ''}</span>` : ''}</div>
  ${
    canWrite
      ? html`<div class="head-actions">${
          isOpen
            ? html`<form method="post" action="/incidents/${d.id}/state" class="row">${csrfField(c)}<input name="summary" placeholder="Close summary" aria-label="Close summary" maxlength="500"><button name="action" value="close" class="primary">Close</button><button name="action" value="ignore">Ignore</button></form>`
            : html`<form method="post" action="/incidents/${d.id}/state" class="inline">${csrfField(c)}<button name="action" value="reopen">Reopen</button></form>`
        }</div>`
      : ''
  }
</div>
${formError(errors)}${fieldError(errors, 'state')}
<div class="grid incident">
<div class="main-col">
  <section class="card"><h2>Description</h2>
    <div class="text prose">${d.description || html`<span class="muted">No description.</span>`}</div>
    ${d.closeSummary || d.closeDetail ? html`<p><b>Closed:</b> ${d.closeSummary} <span class="muted">${d.closeDetail}</span></p>` : ''}
    ${
      canWrite
        ? html`<form method="post" action="/incidents/${d.id}/description" class="compact">${csrfField(c)}
      <textarea name="description" rows="2" aria-label="Description text" maxlength="100000" placeholder="Add to the description…"></textarea>${fieldError(errors, 'description')}
      <div class="actions"><button name="mode" value="append">Append</button><button name="mode" value="overwrite">Overwrite</button></div></form>`
        : ''
    }
  </section>
  <section class="card"><h2>Alerts <span class="count">${d.alertCount}</span></h2>${alertSection(d.id, d.alerts, d.alertCount)}</section>
  <section class="card"><h2>Comments <span class="count">${comments.length}</span></h2>
    <ol class="comments">${comments.map((h) => html`<li><div class="muted small"><b>${h.actorLabel}</b> · ${when(h.createdAt)}</div><div class="text">${h.summary}</div>${h.detail ? html`<div class="text muted">${h.detail}</div>` : ''}</li>`)}</ol>
    ${
      canWrite
        ? html`<form method="post" action="/incidents/${d.id}/comments" class="compact">${csrfField(c)}<textarea name="comment" rows="3" aria-label="Comment" placeholder="Write a comment…" required maxlength="20000"></textarea>${fieldError(errors, 'summary')}<div class="actions"><button class="primary">Comment</button></div></form>`
        : ''
    }
  </section>
  ${reportersSection(reporters)}
  ${analysisSection(verdicts)}
  ${responsesSection(c, runs, actor.permissions.has('responses.run'))}
  <section class="card"><h2>Timeline</h2>${timeline(d)}</section>
</div>
<aside class="side-col">
  <section class="card"><h2>Summary</h2><dl class="facts">
    <dt>Created</dt><dd>${when(d.createdAt)}</dd><dt>Updated</dt><dd>${when(d.updatedAt)}</dd>
    <dt>Closed</dt><dd>${when(d.closedAt) || '—'}</dd><dt>Source</dt><dd>${d.source ?? '—'}</dd>
    <dt>Type</dt><dd>${d.type}</dd><dt>Score</dt><dd>${d.score}</dd>
    <dt>Team</dt><dd>${d.team ?? 'Unassigned'}</dd><dt>Assignee</dt><dd>${d.assignee ?? 'Unassigned'}</dd></dl>
    ${
      canWrite
        ? html`<form method="post" action="/incidents/${d.id}/assign" class="compact">${csrfField(c)}
      <label>Team <select name="team"><option value="">Unassigned</option>${teams.map((t) => html`<option${t.name === d.team ? html` selected` : ''}>${t.name}</option>`)}</select></label>
      <label>Assignee <select name="assignee"><option value="">Unassigned</option>${assignees.map((u) => html`<option${u.username === d.assignee ? html` selected` : ''}>${u.username}</option>`)}</select></label>
      ${fieldError(errors, 'assignee')}<button>Save assignment</button></form>`
        : ''
    }
  </section>
  <section class="card"><h2>Fields</h2>
    <form method="post" action="/incidents/${d.id}/fields" class="compact fields">${csrfField(c)}
    ${d.fields.map(
      (f) =>
        html`<label>${f.name} ${
          f.kind === 'select'
            ? html`<select name="f:${f.name}"${canWrite ? '' : html` disabled`}><option value="">—</option>${[...new Set([...(f.value && !f.options.includes(f.value) ? [f.value] : []), ...f.options])].map((o) => html`<option${o === f.value ? html` selected` : ''}>${o}</option>`)}</select>`
            : html`<input name="f:${f.name}" value="${f.value ?? ''}"${canWrite ? '' : html` disabled`} type="${f.kind === 'number' ? 'number' : f.kind === 'date' ? 'date' : 'text'}">`
        }</label>`,
    )}
    ${canWrite ? html`<button>Save fields</button>` : ''}</form>
    <h3>Disposition history</h3>
    ${
      d.dispositionHistory.length
        ? html`<ol class="timeline small">${d.dispositionHistory.map((h) => html`<li><span class="muted">${when(h.createdAt)}</span> ${h.actorLabel}: ${h.field} <s>${h.stateFrom ?? '—'}</s> → ${h.stateTo ?? '—'}</li>`)}</ol>`
        : html`<p class="empty">No changes yet.</p>`
    }
  </section>
  <section class="card"><h2>Hosts</h2>${hostsSection(c, d.id, d.hosts, canWrite, errors)}</section>
  <section class="card"><h2>Users</h2>
    ${userKinds.map((k) => html`<h3>${k}</h3><ul class="plain mono">${d.users.filter((u) => u.kind === k).map((u) => html`<li>${u.username}</li>`)}</ul>`)}
    ${userKinds.length === 0 ? html`<p class="empty">None recorded.</p>` : ''}
    ${canWrite ? html`<form method="post" action="/incidents/${d.id}/users" class="row">${csrfField(c)}<select name="kind" aria-label="Kind of user"><option value="targets">target</option><option value="attackers">attacker</option></select><input name="username" placeholder="user or e-mail" aria-label="User to add" required maxlength="320"><button>Add</button></form>${fieldError(errors, 'username')}` : ''}
  </section>
  <section class="card"><h2>Quarantine results <span class="count">${d.quarantine.length}</span></h2>
    ${d.sourceType === 'csv' && actor.permissions.has('quarantine') && actor.permissions.has('responses.run') ? html`<p><a class="button" href="/incidents/${d.id}/quarantine">Quarantine the uploaded messages…</a></p>` : ''}
    ${
      d.quarantine.length
        ? html`<table class="dense small"><thead><tr><th>Mailbox</th><th>Status</th><th>Type</th><th>Via</th><th>Read</th><th>Folder</th><th>Details</th></tr></thead><tbody>${d.quarantine.map(
            (r) =>
              html`<tr><td class="mono">${r.mailbox}</td><td><span class="badge ${r.status === 'successful' ? 'ok' : r.status === 'failed' ? 'bad' : ''}">${r.undoneAt ? 'undone' : r.status.replace('_', ' ')}</span></td><td>${RECIPIENT_TYPES[r.recipientType] ?? r.recipientType}</td><td class="mono">${r.via ?? ''}</td><td>${r.isRead === null ? '' : r.isRead ? 'yes' : 'no'}</td><td>${r.originalFolder ?? ''}</td><td>${r.lastError ?? r.details}</td></tr>`,
          )}</tbody></table>`
        : html`<p class="empty">No quarantine actions yet.</p>`
    }
  </section>
  <section class="card"><h2>Attachments <span class="count">${d.attachments.length}</span></h2>
    <ul class="plain">${d.attachments.map((a) => html`<li><a href="/attachments/${a.id}" download>${a.filename}</a> <span class="muted small">${a.size} B · <span class="mono">${a.sha256.slice(0, 12)}…</span></span></li>`)}</ul>
    ${d.attachments.length === 0 ? html`<p class="empty">None.</p>` : ''}
    ${canWrite ? html`<form method="post" action="/incidents/${d.id}/attachments" enctype="multipart/form-data" class="compact">${csrfField(c)}<input type="file" name="file" required aria-label="File to attach">${fieldError(errors, 'file')}<button>Attach</button></form>` : ''}
  </section>
  <section class="card"><h2>Investigations</h2>
    <ul class="plain">${d.investigations.map((i) => html`<li><a href="/investigations/${i.id}">${i.name}</a> <span class="badge">${i.state}</span></li>`)}</ul>
    ${d.investigations.length === 0 ? html`<p class="empty">Not linked to an investigation.</p>` : ''}
  </section>
</aside>
</div>`,
    status,
  )
}

/** GET /incidents/:id */
export const incidentShow = (c: Context<AppEnv>) => incidentPage(c, idParam(c))
