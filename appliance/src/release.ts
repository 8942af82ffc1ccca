import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository / release root this code runs from. */
export const RELEASE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** The running release's version (package.json). */
export const releaseVersion = (): string =>
  JSON.parse(readFileSync(path.join(RELEASE_ROOT, 'package.json'), 'utf8')).version

/** Compares dotted numeric versions (1.2.10 > 1.2.9); pre-release suffixes are ignored. */
export const compareVersions = (a: string, b: string) => {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0)
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0)
  for (let i = 0; i < Math.max(pa.length, pb.length, 3); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}
