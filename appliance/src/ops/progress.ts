import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { AppError } from '../../../core/src/errors.ts'
import { opsPaths } from './paths.ts'

/**
 * Progress of a long operation (backup, restore, upgrade, applying host settings), kept as a small JSON file in the data
 * directory so that it survives the browser closing and is readable by any process; the console
 * polls it with htmx.
 */
export type OpStatus = {
  id: string
  kind: 'backup' | 'restore' | 'upgrade' | 'system'
  state: 'queued' | 'running' | 'succeeded' | 'failed'
  step: string
  percent: number
  startedAt: string
  finishedAt?: string
  error?: string
  result?: Record<string, unknown>
}

export type Progress = (step: string, percent: number) => void

const fileOf = (dataDir: string, id: string) => {
  if (!/^[a-z0-9-]+$/.test(id)) throw new Error('bad operation id')
  return path.join(opsPaths(dataDir).ops, `${id}.json`)
}

export const newOpId = (kind: OpStatus['kind']) => `${kind}-${Date.now()}-${randomBytes(3).toString('hex')}`

export const writeOp = (dataDir: string, status: OpStatus) => {
  mkdirSync(opsPaths(dataDir).ops, { recursive: true, mode: 0o700 })
  const file = fileOf(dataDir, status.id)
  writeFileSync(`${file}.tmp`, JSON.stringify(status))
  renameSync(`${file}.tmp`, file)
}

export const readOp = (dataDir: string, id: string): OpStatus | undefined => {
  const file = fileOf(dataDir, id)
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined
}

export const listOps = (dataDir: string, limit = 20): OpStatus[] => {
  const dir = opsPaths(dataDir).ops
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as OpStatus)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .slice(0, limit)
}

/** One restore or upgrade at a time (a backup may run beside either). @throws AppError CONFLICT */
export const assertNoRestoreOrUpgradeRunning = (dataDir: string) => {
  if (listOps(dataDir, 10).some((o) => o.kind !== 'backup' && o.state === 'running'))
    throw new AppError('CONFLICT', 'another restore or upgrade is running')
}

/**
 * Runs `work` while recording its progress in the status file (throttled to a few writes per
 * second); marks it succeeded or failed at the end. Rethrows the failure.
 */
export const trackOp = async <T extends Record<string, unknown>>(
  dataDir: string,
  id: string,
  kind: OpStatus['kind'],
  work: (progress: Progress) => Promise<T>,
) => {
  const status: OpStatus = {
    id,
    kind,
    state: 'running',
    step: 'starting',
    percent: 0,
    startedAt: new Date().toISOString(),
  }
  writeOp(dataDir, status)
  let last = 0
  const progress: Progress = (step, percent) => {
    status.step = step
    status.percent = Math.max(0, Math.min(100, Math.round(percent)))
    const now = Date.now()
    if (now - last > 250) {
      last = now
      writeOp(dataDir, status)
    }
  }
  try {
    const result = await work(progress)
    writeOp(dataDir, {
      ...status,
      state: 'succeeded',
      step: 'done',
      percent: 100,
      finishedAt: new Date().toISOString(),
      result,
    })
    return result
  } catch (err) {
    writeOp(dataDir, {
      ...status,
      state: 'failed',
      finishedAt: new Date().toISOString(),
      error: (err as Error).message,
    })
    throw err
  }
}
