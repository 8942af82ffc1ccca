import { eq, sql } from 'drizzle-orm'
import type { MailCopy, MailFound } from '../../connectors/types.ts'
import { quarantineRecords } from '../../db/schema/index.ts'
import { appendAudit } from '../audit/append-audit.ts'
import { bulkCall, type connectorPool, isRetryable, type QuarantineContext } from './connector-calls.ts'
import type { Unexpanded } from './plan-quarantine.ts'
import { searchUnderMailboxLocks } from './search-under-locks.ts'

/** One copy of the message in a mailbox: where it was (null when another run had already quarantined it) and where it is now. */
export type CopyPair = { original: MailCopy | null; quarantined: MailCopy | null }
type Row = typeof quarantineRecords.$inferSelect

/**
 * Reconciles what the row recorded with what a fresh search shows (a run killed between a MOVE
 * and its write finds the copy in place 'quarantine' and pairs it with the recorded original):
 * copies still outside quarantine are to be moved; a quarantine copy nobody recorded counts as done.
 * `recovered` are the recorded originals paired here: moved by an attempt that died before it
 * recorded (and audited) the move, so the caller audits them now.
 */
export const reconcile = (recorded: CopyPair[], current: MailCopy[]) => {
  const pairs = recorded.map((p) => ({ ...p }))
  const inQ = current.filter((c) => c.place === 'quarantine')
  const outside = current.filter((c) => c.place !== 'quarantine')
  const used = new Set(pairs.flatMap((p) => (p.quarantined ? [p.quarantined.providerId] : [])))
  const recovered: CopyPair[] = []
  for (const c of outside)
    if (!pairs.some((p) => p.original?.providerId === c.providerId)) pairs.push({ original: c, quarantined: null })
  for (const p of pairs) {
    if (p.quarantined || !p.original || outside.some((c) => c.providerId === p.original!.providerId)) continue
    const moved = inQ.find((c) => !used.has(c.providerId))
    if (moved) {
      p.quarantined = moved
      used.add(moved.providerId)
      recovered.push(p)
    }
  }
  for (const c of inQ) if (!used.has(c.providerId)) pairs.push({ original: null, quarantined: c })
  const toMove = pairs.filter(
    (p) => !p.quarantined && p.original && outside.some((c) => c.providerId === p.original!.providerId),
  )
  return { pairs, toMove, recovered }
}

/** What the search could not reach, as the recipient's results say it (empty when it reached every folder). */
const unreachableNote = (found: MailFound) =>
  found.unreachable.length
    ? `; Recoverable Items not searched (${found.unreachable.join(', ')}): ${found.unreachableWhy ?? 'the permissions do not reach it'}`
    : ''

const fail = async (q: QuarantineContext, row: Row, status: 'failed' | 'not_found', message: string, note = '') => {
  await q.db
    .update(quarantineRecords)
    .set({
      status,
      lastError: status === 'failed' ? message.slice(0, 2000) : null,
      details: `${message}${note}`.slice(0, 2000),
      attempts: sql`${quarantineRecords.attempts} + 1`,
      finishedAt: sql`now()`,
    })
    .where(eq(quarantineRecords.id, row.id))
}

/**
 * Pulls the message out of every given row's mailbox through the row's connector: re-search
 * first, record the originals on the row (before any move), MOVE what is still outside, then
 * record the quarantined copies and audit the move with the initiator. A recipient with no
 * mailbox or no copy whose address a directory failed to expand (`unexpanded`) is failed with the
 * directory's error. Answers whether a throttled/unavailable failure is left (the job should
 * retry; the rows make that safe).
 */
export const pullMailboxes = async (
  q: QuarantineContext,
  pool: ReturnType<typeof connectorPool>,
  rows: Row[],
  exempt: Set<string>,
  unexpanded: Unexpanded = new Map(),
) => {
  let isRetryLeft = false
  /** No mailbox (or no copy) at an address a directory failed to expand: that recipient failed, naming the directory. */
  const notFound = async (row: Row, message: string, note = '') => {
    const why = row.recipientType === 'forward' ? undefined : unexpanded.get(row.mailbox)
    if (!why) return fail(q, row, 'not_found', message, note)
    isRetryLeft ||= why.isRetryable
    await fail(q, row, 'failed', `${why.message} (${message})`, note)
  }
  const byConnector = new Map<number, Row[]>()
  for (const r of rows) {
    if (exempt.has(r.mailbox) || (r.via && r.recipientType !== 'forward' && exempt.has(r.via))) {
      await q.db
        .update(quarantineRecords)
        .set({ status: 'whitelisted', details: 'exempt from quarantine' })
        .where(eq(quarantineRecords.id, r.id))
      continue
    }
    if (r.connectorId) byConnector.set(r.connectorId, [...(byConnector.get(r.connectorId) ?? []), r])
  }
  await Promise.all(
    [...byConnector.entries()].map(async ([connectorId, all]) => {
      const left = await searchUnderMailboxLocks(
        q,
        pool,
        connectorId,
        all,
        'search and quarantine mail',
        async (group, found, mail, opened) => {
          const work: { row: Row; pairs: CopyPair[]; toMove: CopyPair[]; recovered: CopyPair[]; note: string }[] = []
          for (const [i, row] of group.entries()) {
            const a = found[i]!
            if (!a.ok) {
              if (a.error.kind === 'not_found') await notFound(row, a.error.message)
              else {
                isRetryLeft ||= isRetryable(a.error)
                await fail(q, row, 'failed', a.error.message)
              }
              continue
            }
            const { pairs, toMove, recovered } = reconcile(row.copies as CopyPair[], a.value.copies)
            const note = unreachableNote(a.value)
            if (pairs.length === 0) {
              await notFound(row, 'no copy of the message in this mailbox', note)
              continue
            }
            const first = pairs.find((p) => p.original)?.original
            await q.db
              .update(quarantineRecords)
              .set({
                status: 'quarantining',
                copies: pairs,
                provider: opened.row.kind,
                isRead: first?.isRead ?? null,
                originalFolder:
                  [...new Set(pairs.flatMap((p) => (p.original ? [p.original.folderName] : [])))].join(', ') || null,
                attempts: sql`${quarantineRecords.attempts} + 1`,
                startedAt: sql`coalesce(${quarantineRecords.startedAt}, now())`,
                details: note.slice(2, 2000),
              })
              .where(eq(quarantineRecords.id, row.id))
            work.push({ row, pairs, toMove, recovered, note })
          }
          const flat = work.flatMap((w) => w.toMove.map((p) => ({ w, p })))
          const moved = await bulkCall(
            flat.map((f) => f.p.original!),
            (chunk) => mail.quarantine(chunk, opened.ctx),
            q.signal,
          )
          const errors = new Map<number, string>()
          flat.forEach(({ w, p }, k) => {
            const a = moved[k]!
            if (a.ok) p.quarantined = a.value
            else {
              isRetryLeft ||= isRetryable(a.error)
              errors.set(w.row.id, a.error.message)
            }
          })
          for (const w of work) {
            const isDone = w.pairs.every((p) => p.quarantined)
            // moves of this attempt, and those of a killed attempt that never reached its audit record
            const movedNow = [...w.recovered, ...w.toMove.filter((p) => p.quarantined)]
            await q.db.transaction(async (tx) => {
              await tx
                .update(quarantineRecords)
                .set({
                  status: isDone ? 'successful' : 'failed',
                  copies: w.pairs,
                  quarantineFolder: w.pairs.find((p) => p.quarantined)?.quarantined?.folderName ?? null,
                  providerMessageId: w.pairs.find((p) => p.quarantined)?.quarantined?.providerId ?? null,
                  lastError: isDone ? null : (errors.get(w.row.id) ?? 'not every copy moved').slice(0, 2000),
                  // what could not be searched stays in the final details (results page, API, compat API)
                  details: `${
                    isDone
                      ? `${w.pairs.length} cop${w.pairs.length === 1 ? 'y' : 'ies'} in quarantine`
                      : (errors.get(w.row.id) ?? 'not every copy moved')
                  }${w.note}`.slice(0, 2000),
                  finishedAt: sql`now()`,
                })
                .where(eq(quarantineRecords.id, w.row.id))
              if (movedNow.length)
                await appendAudit(tx, q.actor, {
                  action: 'quarantine.move',
                  objectType: 'incident',
                  objectId: q.incidentId,
                  after: {
                    mailbox: w.row.mailbox,
                    messageId: w.row.messageId,
                    connector: opened.row.name,
                    runId: q.runId,
                    from: movedNow.map((p) => p.original!.folderName),
                    to: movedNow.map((p) => p.quarantined!.folderName),
                  },
                })
            })
          }
        },
      )
      if (left.length > 0) isRetryLeft = true
    }),
  )
  return { isRetryLeft }
}
