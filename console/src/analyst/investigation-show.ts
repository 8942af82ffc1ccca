import type { Context } from 'hono'
import { html } from 'hono/html'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { getInvestigation } from '../../../core/src/domain/investigations/get-investigation.ts'
import { csrfField, type FormErrors, fieldError, formError, idParam, when } from '../forms.ts'
import { severityBadge, stateBadge } from '../views/incident-bits.ts'
import { page } from '../views/layout.ts'

/** The investigation page (linked incidents, link/unlink, comments, timeline); shared with its forms' 422 answers. */
export const investigationPage = async (c: Context<AppEnv>, id: number, errors: FormErrors = {}, status = 200) => {
  const inv = await getInvestigation(c.var.deps.db, c.var.actor!, id)
  const canWrite = c.var.actor!.permissions.has('investigations.write')
  const comments = inv.history.filter((h) => h.historyType === 'comment')
  return page(
    c,
    inv.name,
    html`<p class="crumbs"><a href="/investigations">Investigations</a> › #${inv.id}</p>
<div class="incident-head"><h1><span class="mono muted">#${inv.id}</span> ${inv.name}</h1>
  <div class="badges"><span class="badge">${inv.state}</span>${inv.isPrivate ? html` <span class="badge warn">private</span>` : ''}</div>
  ${canWrite ? html`<div class="head-actions"><form method="post" action="/investigations/${inv.id}/state" class="inline">${csrfField(c)}<button name="state" value="${inv.state === 'open' ? 'closed' : 'open'}">${inv.state === 'open' ? 'Close investigation' : 'Reopen'}</button></form></div>` : ''}
</div>
${formError(errors)}
<div class="grid incident">
<div class="main-col">
  <section class="card"><h2>Description</h2><div class="text">${inv.description || html`<span class="muted">No description.</span>`}</div></section>
  <section class="card flush"><h2 class="pad">Linked incidents <span class="count">${inv.incidents.length}</span></h2>
    <table class="dense"><tbody>${inv.incidents.map(
      (
        i,
      ) => html`<tr><td class="mono"><a href="/incidents/${i.id}">${i.id}</a></td><td><a href="/incidents/${i.id}">${i.summary}</a></td><td>${stateBadge(i.state)}</td><td>${severityBadge(i.severity)}</td><td class="muted">${when(i.linkedAt)}</td>
      <td class="right">${canWrite ? html`<form method="post" action="/investigations/${inv.id}/links" class="inline">${csrfField(c)}<input type="hidden" name="incidentId" value="${i.id}"><input type="hidden" name="linked" value="false"><button class="small">Unlink</button></form>` : ''}</td></tr>`,
    )}</tbody></table>
    ${inv.incidents.length === 0 ? html`<p class="empty pad">No incidents linked yet.</p>` : ''}
    ${canWrite ? html`<form method="post" action="/investigations/${inv.id}/links" class="row pad">${csrfField(c)}<input type="hidden" name="linked" value="true"><input name="incidentId" placeholder="Incident IDs, e.g. 12, 15" aria-label="Incident IDs to link" required><button>Link incidents</button></form>${fieldError(errors, 'incidentId')}<p></p>` : ''}
  </section>
  <section class="card"><h2>Comments <span class="count">${comments.length}</span></h2>
    <ol class="comments">${comments.map((h) => html`<li><div class="muted small"><b>${h.actorLabel}</b> · ${when(h.createdAt)}</div><div class="text">${h.summary}</div></li>`)}</ol>
    ${canWrite ? html`<form method="post" action="/investigations/${inv.id}/comments" class="compact">${csrfField(c)}<textarea name="comment" rows="3" aria-label="Comment" required></textarea>${fieldError(errors, 'summary')}<div class="actions"><button class="primary">Comment</button></div></form>` : ''}
  </section>
</div>
<aside class="side-col">
  <section class="card"><h2>Summary</h2><dl class="facts"><dt>Created</dt><dd>${when(inv.createdAt)}</dd><dt>Updated</dt><dd>${when(inv.updatedAt)}</dd><dt>Closed</dt><dd>${when(inv.closedAt) || '—'}</dd></dl></section>
  <section class="card"><h2>Attachments</h2><ul class="plain">${inv.attachments.map((a) => html`<li><a href="/attachments/${a.id}" download>${a.filename}</a> <span class="muted small">${a.size} B</span></li>`)}</ul>${inv.attachments.length === 0 ? html`<p class="empty">None.</p>` : ''}${canWrite ? html`<form method="post" action="/investigations/${inv.id}/attachments" enctype="multipart/form-data" class="compact">${csrfField(c)}<input type="file" name="file" required aria-label="File to attach">${fieldError(errors, 'file')}<button>Attach</button></form>` : ''}</section>
  <section class="card"><h2>Timeline</h2><ol class="timeline small">${[...inv.history].reverse().map((h) => html`<li><span class="muted">${when(h.createdAt)}</span> <b>${h.actorLabel}</b> ${h.historyType.replace(/_/g, ' ')}${h.incidentId ? html` <a href="/incidents/${h.incidentId}">#${h.incidentId}</a>` : ''}${h.summary && h.historyType !== 'comment' ? html`<div class="text">${h.summary}</div>` : ''}</li>`)}</ol></section>
</aside>
</div>`,
    status,
  )
}

/** GET /investigations/:id */
export const investigationShow = (c: Context<AppEnv>) => investigationPage(c, idParam(c))
