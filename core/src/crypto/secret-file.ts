import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/**
 * Reads a small secret file, creating it with `make()` (mode 0600, exclusive create) when absent.
 * Refuses a file that other users can read.
 */
export const ensureSecretFile = (file: string, make: () => string): string => {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    try {
      writeFileSync(file, `${make()}\n`, { mode: 0o600, flag: 'wx' })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
  const mode = statSync(file).mode & 0o077
  if (mode !== 0) chmodSync(file, 0o600)
  return readFileSync(file, 'utf8').trim()
}
