import type { Context } from 'hono'
import { html } from 'hono/html'
import { listOps } from '../../../appliance/src/ops/progress.ts'
import { releaseVersion } from '../../../appliance/src/release.ts'
import { releaseLayout } from '../../../appliance/src/upgrade/release-layout.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { type StagedImage, stagedFile } from './upgrade-upload.ts'
import { consolePage, csrfField, errorBox, notice, opFragment } from './view.ts'

const stagedView = (c: Context<AppEnv>, s: StagedImage) =>
  s.ok
    ? html`${notice(`Verified: ${s.fileName} upgrades ${s.from} to ${s.version}.`)}
      <h2>Release notes for ${s.version}</h2><pre class="notes">${s.notes}</pre>
      <form hx-post="/upgrade/${s.id}/apply" hx-target="#ops" hx-swap="afterbegin" hx-confirm="Apply ${s.version}?">${csrfField(c)}<button class="danger" id="apply">Apply upgrade</button></form>`
    : errorBox(`Refused: ${s.error}`)

/** GET /upgrade[?staged=img-…] — running release, IMG upload, the staged image's verdict, upgrade progress. */
export const upgradePage = (c: Context<AppEnv>, message?: { error?: string; staged?: StagedImage }, status = 200) => {
  const { root, dataDir } = c.var.deps.config
  const layout = releaseLayout(root)
  const staged = message?.staged ?? stagedFile(dataDir, c.req.query('staged') ?? '')
  const ops = listOps(dataDir, 3).filter((o) => o.kind === 'upgrade')
  return consolePage(
    c,
    'Upgrade',
    html`<section class="card"><h1>Upgrade</h1>${errorBox(message?.error)}
  <p>Running release <strong>${layout.currentVersion() ?? releaseVersion()}</strong>${layout.currentVersion() ? '' : html` <span class="muted">(a checkout: no release layout under ${layout.base})</span>`}.</p>
  <p class="muted">An IMG file is checked completely (signature, every file, version order, free space) before anything changes. Applying it takes a backup, installs the release beside the running one, migrates, switches and health-checks; any failure rolls back automatically.</p>
  <form method="post" action="/upgrade/upload" enctype="multipart/form-data" data-stream-upload>${csrfField(c)}<label>Upgrade image (.img) <input type="file" name="file" required></label><button class="primary" id="upload-img">Upload and verify</button> <span class="upload-status muted"></span></form>
  ${staged ? stagedView(c, staged) : ''}
  <div id="ops">${ops.map((o) => opFragment(o, o.id))}</div></section>`,
    status,
  )
}
