import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type postgres from 'postgres'
import { columnList, listTables, qualified } from '../../appliance/src/backup/tables.ts'

/** md5 of every backed-up table's rows (sorted text form); audit_log only up to `auditMax`. */
export const tableChecksums = async (sql: postgres.Sql, auditMax?: number) => {
  const out: Record<string, string> = {}
  for (const t of await listTables(sql)) {
    const where =
      t.schema === 'public' && t.name === 'audit_log' && auditMax !== undefined ? `WHERE id <= ${auditMax}` : ''
    const [r] = await sql.unsafe(
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h FROM (SELECT ${columnList(t)} FROM ${qualified(t)} ${where}) x`,
    )
    out[`${t.schema}.${t.name}`] = `${r!.n}:${r!.h}`
  }
  return out
}

/** sha256 of every file under a folder, by relative path. */
export const dirChecksums = (dir: string, base = dir): Record<string, string> => {
  if (!existsSync(dir)) return {}
  const out: Record<string, string> = {}
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) Object.assign(out, dirChecksums(full, base))
    else out[path.relative(base, full)] = createHash('sha256').update(readFileSync(full)).digest('hex')
  }
  return out
}
