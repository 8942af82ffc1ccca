import type { Context } from 'hono'
import { html } from 'hono/html'
import { listOps } from '../../../appliance/src/ops/progress.ts'
import { releaseVersion } from '../../../appliance/src/release.ts'
import { releaseLayout } from '../../../appliance/src/upgrade/release-layout.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { consolePage, csrfField, errorBox, notice, opFragment } from './view.ts'

/** GET /upgrade — running release, IMG upload, upgrade progress. */
export const upgradePage = (
  c: Context<AppEnv>,
  message?: { notice?: string; error?: string; body?: unknown },
  status = 200,
) => {
  const layout = releaseLayout(c.var.deps.config.root)
  const ops = listOps(c.var.deps.config.dataDir, 3).filter((o) => o.kind === 'upgrade')
  return consolePage(
    c,
    'Upgrade',
    html`<section class="card"><h1>Upgrade</h1>${notice(message?.notice)}${errorBox(message?.error)}
  <p>Running release <strong>${layout.currentVersion() ?? releaseVersion()}</strong>${layout.currentVersion() ? '' : html` <span class="muted">(a checkout: no release layout under ${layout.base})</span>`}.</p>
  <p class="muted">An IMG file is checked completely (signature, every file, version order, free space) before anything changes. Applying it takes a backup, installs the release beside the running one, migrates, switches and health-checks; any failure rolls back automatically.</p>
  <form method="post" action="/upgrade/upload" enctype="multipart/form-data">${csrfField(c)}<label>Upgrade image (.img) <input type="file" name="file" required></label><button class="primary" id="upload-img">Upload and verify</button></form>
  ${message?.body ?? ''}
  <div id="ops">${ops.map((o) => opFragment(o, o.id))}</div></section>`,
    status,
  )
}
