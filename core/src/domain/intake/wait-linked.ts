import type { Db } from '../../db/client.ts'

export type LinkedAlert = { alertId: number; incidentId: number; isNewIncident: boolean; receivedMs: number }

const waiters = new WeakMap<Db, Map<number, ((incidentId: number) => void)[]>>()

/** The linker's half of waitLinked: wakes the waiters of alerts this process just linked. */
export const settleLinked = (db: Db, linked: LinkedAlert[]) => {
  const w = waiters.get(db)
  if (!w?.size) return
  for (const l of linked) {
    const list = w.get(l.alertId)
    if (!list) continue
    w.delete(l.alertId)
    for (const resolve of list) resolve(l.incidentId)
  }
}

/**
 * Resolves with the alert's incident id once it is linked, or null after `timeoutMs`. A linker in
 * this process settles it at once; a linker in another process is seen by polling the alert row.
 */
export const waitLinked = async (db: Db, alertId: number, timeoutMs: number): Promise<number | null> => {
  let w = waiters.get(db)
  if (!w) {
    w = new Map()
    waiters.set(db, w)
  }
  const map = w
  let resolveIt!: (incidentId: number) => void
  const settled = new Promise<number>((resolve) => {
    resolveIt = resolve
  })
  map.set(alertId, [...(map.get(alertId) ?? []), resolveIt])
  const until = Date.now() + timeoutMs
  let done = false
  const poll = async () => {
    while (!done && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250))
      if (done) return
      const [row] = await db.$client<
        { incident_id: string | null }[]
      >`SELECT incident_id FROM alerts WHERE id = ${alertId}`
      if (row?.incident_id) return resolveIt(Number(row.incident_id))
    }
  }
  let timeout: NodeJS.Timeout | undefined
  const timer = new Promise<null>((resolve) => {
    timeout = setTimeout(() => resolve(null), timeoutMs)
  })
  void poll().catch(() => {})
  try {
    return await Promise.race([settled, timer])
  } finally {
    clearTimeout(timeout)
    done = true
    const list = map.get(alertId)?.filter((f) => f !== resolveIt)
    if (list?.length) map.set(alertId, list)
    else map.delete(alertId)
  }
}
