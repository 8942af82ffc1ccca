import { existsSync, readFileSync, readlinkSync, renameSync, rmSync, statfsSync, symlinkSync } from 'node:fs'
import path from 'node:path'

/**
 * The appliance's release layout, under a configurable root (`/` on the appliance, a temporary
 * folder in tests): `<root>/opt/clawback/releases/<version>/` beside each other and a `current`
 * symbolic link naming the running one.
 */
export const releaseLayout = (root: string) => {
  const base = path.join(root, 'opt', 'clawback')
  const releases = path.join(base, 'releases')
  const current = path.join(base, 'current')
  return {
    base,
    releases,
    current,
    releaseDir: (version: string) => path.join(releases, version),
    currentVersion: (): string | undefined => (existsSync(current) ? path.basename(readlinkSync(current)) : undefined),
    /** The public key the running release trusts for IMG signatures. */
    publicKeyFile: () => path.join(current, 'appliance', 'keys', 'img-signing.pub'),
    /** Points `current` at a release atomically (a new link renamed over the old one). */
    switchTo: (version: string) => {
      const tmp = `${current}.tmp-${process.pid}`
      rmSync(tmp, { force: true })
      symlinkSync(path.join('releases', version), tmp)
      renameSync(tmp, current)
    },
  }
}

/** Free bytes on the file system holding `dir` (statfs). */
export const freeBytes = (dir: string) => {
  const s = statfsSync(dir)
  return Number(s.bavail) * Number(s.bsize)
}

export const readVersionOf = (releaseDir: string): string | undefined => {
  const f = path.join(releaseDir, 'package.json')
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')).version : undefined
}
