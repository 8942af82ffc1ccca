import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Context } from 'hono'
import { html } from 'hono/html'
import { opsPaths } from '../../../appliance/src/ops/paths.ts'
import { verifyUpgrade } from '../../../appliance/src/upgrade/apply-upgrade.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { upgradePage } from './upgrade-page.ts'
import { csrfField, userMessage } from './view.ts'

/** POST /upgrade/upload — stages the IMG and verifies it; shows the release notes and an Apply button, or why it is refused. */
export const upgradeUpload = async (c: Context<AppEnv>) => {
  assertCan(c.var.actor!, 'system.manage')
  const b = await c.req.parseBody()
  if (!(b.file instanceof File) || b.file.size === 0) return upgradePage(c, { error: 'Choose an upgrade image.' }, 422)
  const dir = opsPaths(c.var.deps.config.dataDir).staging
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const id = `img-${Date.now()}`
  const file = path.join(dir, `${id}.img`)
  await pipeline(Readable.fromWeb(b.file.stream() as never), createWriteStream(`${file}.partial`, { mode: 0o600 }))
  renameSync(`${file}.partial`, file)
  try {
    const { manifest, current } = verifyUpgrade({ file, root: c.var.deps.config.root })
    await c.var.deps.db.transaction((tx) =>
      appendAudit(tx, c.var.actor!, {
        action: 'upgrade.verify',
        objectType: 'release',
        objectId: manifest.version,
        after: { ok: true, from: current },
      }),
    )
    return upgradePage(c, {
      notice: `Verified: ${b.file.name} upgrades ${current} to ${manifest.version}.`,
      body: html`<h2>Release notes for ${manifest.version}</h2><pre class="notes">${manifest.notes}</pre>
        <form hx-post="/upgrade/${id}/apply" hx-target="#ops" hx-swap="afterbegin" hx-confirm="Apply ${manifest.version}?">${csrfField(c)}<button class="danger" id="apply">Apply upgrade</button></form>`,
    })
  } catch (err) {
    rmSync(file, { force: true })
    const message = userMessage(err)
    await c.var.deps.db.transaction((tx) =>
      appendAudit(tx, c.var.actor!, {
        action: 'upgrade.refuse',
        objectType: 'release',
        after: { file: b.file instanceof File ? b.file.name : '', reason: message },
      }),
    )
    return upgradePage(c, { error: `Refused: ${message}` }, 422)
  }
}
