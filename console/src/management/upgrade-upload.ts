import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Context } from 'hono'
import { opsPaths } from '../../../appliance/src/ops/paths.ts'
import { verifyUpgrade } from '../../../appliance/src/upgrade/apply-upgrade.ts'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { appendAudit } from '../../../core/src/domain/audit/append-audit.ts'
import { assertCan } from '../../../core/src/policy/index.ts'
import { redirect } from '../htmx.ts'
import { receiveUpload } from './receive-upload.ts'
import { upgradePage } from './upgrade-page.ts'
import { userMessage } from './view.ts'

/** What verification said about a staged image; kept beside it so the page can be reloaded. */
export type StagedImage = {
  id: string
  fileName: string
  ok: boolean
  from?: string
  version?: string
  notes?: string
  error?: string
}

export const stagedFile = (dataDir: string, id: string) => {
  if (!/^img-\d+$/.test(id)) return undefined
  const f = path.join(opsPaths(dataDir).staging, `${id}.json`)
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as StagedImage) : undefined
}

/**
 * POST /upgrade/upload — stages the IMG (streamed when sent raw) and verifies it. Shows the release
 * notes and an Apply button (a streamed upload: 303 to that page), or why it is refused: 422 with
 * the page either way (the refused file is deleted). Audited.
 */
export const upgradeUpload = async (c: Context<AppEnv>) => {
  assertCan(c.var.actor!, 'system.manage')
  const { dataDir, root } = c.var.deps.config
  const id = `img-${Date.now()}`
  const file = path.join(opsPaths(dataDir).staging, `${id}.img`)
  const upload = await receiveUpload(c, file)
  if (!upload) return upgradePage(c, { error: 'Choose an upgrade image.' }, 422)
  let staged: StagedImage
  try {
    const { manifest, current } = verifyUpgrade({ file, root })
    staged = {
      id,
      fileName: upload.originalName,
      ok: true,
      from: current,
      version: manifest.version,
      notes: manifest.notes,
    }
    await c.var.deps.db.transaction((tx) =>
      appendAudit(tx, c.var.actor!, {
        action: 'upgrade.verify',
        objectType: 'release',
        objectId: manifest.version,
        after: { ok: true, from: current },
      }),
    )
  } catch (err) {
    rmSync(file, { force: true })
    staged = { id, fileName: upload.originalName, ok: false, error: userMessage(err) }
    await c.var.deps.db.transaction((tx) =>
      appendAudit(tx, c.var.actor!, {
        action: 'upgrade.refuse',
        objectType: 'release',
        after: { file: upload.originalName, reason: staged.error },
      }),
    )
  }
  writeFileSync(path.join(opsPaths(dataDir).staging, `${id}.json`), JSON.stringify(staged), { mode: 0o600 })
  if (upload.isStreamed && staged.ok) return redirect(c, `/upgrade?staged=${id}`)
  // A refused image is a 422 whichever way it came, with the page saying why: a script or an
  // upload client reads the refusal from the status, not from a redirect that looks like success.
  // Content-Location names the same page (the streaming form's script shows it from there).
  if (upload.isStreamed) c.header('Content-Location', `/upgrade?staged=${id}`)
  return upgradePage(c, { staged }, staged.ok ? 200 : 422)
}
