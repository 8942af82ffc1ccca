import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'

/**
 * Reads a small secret file, creating it with `make()` (mode 0600) when absent. Refuses a file
 * that other users can read.
 *
 * Creation survives a power cut: the content goes to a temporary file that is fsync'd, linked to
 * its name (which fails if another process created it first: theirs wins) and the directory is
 * fsync'd. Written in place, the master secret could come back empty or missing after a crash while
 * the database (which fsyncs) already held values sealed under it: an appliance killed half-way
 * through first boot showed this class of loss (PostgreSQL's pg_hba.conf came back empty).
 */
export const ensureSecretFile = (file: string, make: () => string): string => {
  if (!existsSync(file)) {
    const dir = path.dirname(file)
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, `${make()}\n`, { mode: 0o600, flush: true })
    try {
      linkSync(tmp, file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    } finally {
      rmSync(tmp, { force: true })
    }
    const fd = openSync(dir, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  }
  const mode = statSync(file).mode & 0o077
  if (mode !== 0) chmodSync(file, 0o600)
  return readFileSync(file, 'utf8').trim()
}
