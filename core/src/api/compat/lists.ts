import { Hono } from 'hono'
import { z } from 'zod'
import { addMember, deleteMember, updateMember } from '../../domain/lists/change-members.ts'
import { getMember, listMembersOf } from '../../domain/lists/list-members.ts'
import type { AppEnv } from '../env.ts'
import { guard } from '../middleware/auth.ts'
import { dateParam, idParam } from '../params.ts'
import { jsonBody, parseOr400 } from '../validate.ts'

type Member = { id: number; value: string; description: string; expiresAt: Date | null }
const isoZ = (d: Date | null) => (d ? `${d.toISOString().slice(0, 19)}Z` : null)

/** API-COMPAT.md member shape: `host.host`, or `reverse_user.username` on user lists. */
export const compatMember = (listType: string, m: Member) => ({
  id: m.id,
  ...(listType === 'user' ? { reverse_user: { username: m.value } } : { host: { host: m.value } }),
  description: m.description,
  expiration: isoZ(m.expiresAt),
})

const ZMember = z.object({
  member: z.string().min(1).max(2048),
  description: z.string().max(10_000).optional(),
  expiration: z.string().max(64).nullable().optional(),
})

const read = guard({ auth: 'actor', permission: 'lists.read' })
const write = guard({ auth: 'actor', permission: 'lists.write' })
const memberInput = async (req: { text: () => Promise<string> }) => {
  const b = parseOr400(ZMember, await jsonBody(req))
  return {
    member: b.member,
    description: b.description,
    expiration: b.expiration === null ? null : dateParam(b.expiration, 'expiration'),
  }
}

export const compatLists = new Hono<AppEnv>()

compatLists.get('/api/lists/:id/members.json', read, async (c) => {
  const { list, members } = await listMembersOf(c.var.deps.db, c.var.actor!, idParam(c.req.param('id'), 'list'))
  return c.json(members.map((m) => compatMember(list.type, m)))
})

compatLists.post('/api/lists/:id/members.json', write, async (c) => {
  const { list, member } = await addMember(
    c.var.deps.db,
    c.var.actor!,
    idParam(c.req.param('id'), 'list'),
    await memberInput(c.req),
  )
  return c.json(compatMember(list.type, member), 201)
})

compatLists.get('/api/lists/:id/members/:memberId', read, async (c) => {
  const { list, member } = await getMember(
    c.var.deps.db,
    c.var.actor!,
    idParam(c.req.param('id'), 'list'),
    idParam(c.req.param('memberId'), 'list member'),
  )
  return c.json(compatMember(list.type, member))
})

compatLists.put('/api/lists/:id/members/:memberId', write, async (c) => {
  const { list, member } = await updateMember(
    c.var.deps.db,
    c.var.actor!,
    idParam(c.req.param('id'), 'list'),
    idParam(c.req.param('memberId'), 'list member'),
    await memberInput(c.req),
  )
  return c.json(compatMember(list.type, member))
})

compatLists.delete('/api/lists/:id/members/:memberId', write, async (c) => {
  const { list, member } = await deleteMember(
    c.var.deps.db,
    c.var.actor!,
    idParam(c.req.param('id'), 'list'),
    idParam(c.req.param('memberId'), 'list member'),
  )
  return c.json(compatMember(list.type, member), 200)
})
